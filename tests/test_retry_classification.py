"""Retry decisions and error classes per service, code by code from the seeds' tables.

Codes are typed here from the tables (002 = OCR, 003 = Image Recognition), with the table
line next to each, so that a change to the package's own constants cannot pass unnoticed.
"""

from __future__ import annotations

import copy
import pickle

import pytest

from aiocloudocr.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ImageError,
    NotFoundError,
    NotSubscribedError,
    PermissionDeniedError,
    ServerError,
    ThrottledError,
    URLFetchError,
    error_class_for,
)
from aiocloudocr.retry import RETRYABLE_CODES, RetryPolicy

POLICY = RetryPolicy()


def _error(status: int, code: str | None, service: str | None) -> APIError:
    cls = error_class_for(status, code, service=service)
    return cls("msg", status=status, code=code, service=service)


OCR_RETRIED = [
    "ModelArts.4107",  # 002 l.837 Get user temp ak sk error (platform-side failure)
    "ModelArts.4301",  # 002 l.844 Have error when get ai-service admin token
    "ModelArts.4302",  # 002 l.845 Gateway forwarding error
    "ModelArts.4401",  # 002 l.846 Max concurrency error
    "ModelArts.4402",  # 002 l.847 Backend service timeout error
    "ModelArts.4403",  # 002 l.848 Backend service unavailable error
    "ModelArts.4502",  # 002 l.849 Backend service response error
    "ModelArts.4505",  # 002 l.852 Backend service internal error
    "APIG.0201",  # 002 l.867 Backend timeout
    "APIG.0308",  # 002 l.874 The throttling threshold has been reached
]

OCR_FINAL = [
    "AIS.0101",  # 002 l.821 The input parameter is invalid
    "AIS.0102",  # 002 l.824 The image format is not supported
    "AIS.0103",  # 002 l.825 The image size does not meet the requirements
    "AIS.0104",  # 002 l.826 The image is not supported or the image quality is poor
    "AIS.0105",  # 002 l.827 Recognition failed
    "ModelArts.0203",  # 002 l.828 Invalid token
    "ModelArts.4101",  # 002 l.829 Token header cannot be empty
    "ModelArts.4102",  # 002 l.830 Parse Token error
    "ModelArts.4103",  # 002 l.831 Invalid Token header
    "ModelArts.4104",  # 002 l.832 Invalid Request Content Length
    "ModelArts.4105",  # 002 l.835 The JSON format of the input data is incorrect
    "ModelArts.4106",  # 002 l.836 Invalid authorization request
    "ModelArts.4201",  # 002 l.838 Request url need service id
    "ModelArts.4202",  # 002 l.839 Request url format invalid
    "ModelArts.4203",  # 002 l.840 Access denied
    "ModelArts.4204",  # 002 l.841 The API XXX is not subscribed
    "ModelArts.4503",  # 002 l.850 Backend service found error (service does not exist)
    "ModelArts.4504",  # 002 l.851 Backend service api not found
    "ModelArts.4506",  # 002 l.853 SubService service found error
    "ModelArts.4508",  # 002 l.854 Service not start
    "ModelArts.4601",  # 002 l.857 The URL is not allowed
    "ModelArts.4603",  # 002 l.858 Obtaining the file from the URL failed
    "ModelArts.4702",  # 002 l.859 Query Obs agency failed
    "ModelArts.4703",  # 002 l.860 The Obs URL is invalid
    "ModelArts.4704",  # 002 l.861 Obtaining the file from the OBS failed
    "ModelArts.4705",  # 002 l.862 The file stored on the OBS is oversized
    "ModelArts.4706",  # 002 l.863 The Obs file is not exist
    "APIG.0101",  # 002 l.866 The API does not exist or has not been published
    "APIG.0301",  # 002 l.870 Incorrect IAM authentication information
]

IMAGE_RETRIED = [
    "AIS.0003",  # 003 l.1014 internal service error
    "AIS.0506",  # 003 l.1055 An internal error occurred
    "APIG.0308",  # 003 l.1065 The request is sent too fast
    "ModelArts.4107",  # 003 l.1075 exception when obtaining the temporary AK/SK
    "AIP.0500",  # 003 l.1090 internal service error (status 500)
]

IMAGE_FINAL = [
    "AIS.0002",  # 003 l.1011 The authentication token is abnormal
    "AIS.0004",  # 003 l.1015 The request is unauthorized (not subscribed)
    "AIS.0007",  # 003 l.1016 The service has not been enabled yet
    "AIS.0010",  # 003 l.1017 The header is missing or left empty
    "AIS.0011",  # 003 l.1018 The request parameter is missing or left empty
    "AIS.0012",  # 003 l.1019 The request parameter is not supported
    "AIS.0013",  # 003 l.1020 The request method is not allowed
    "AIS.0014",  # 003 l.1021 The JSON format of the input data is incorrect
    "AIS.0015",  # 003 l.1024 Base64 decoding of the input data is incorrect
    "AIS.0020",  # 003 l.1025 The size of the request body exceeds the upper limit
    "AIS.0021",  # 003 l.1026 The requested file type is not supported
    "AIS.0022",  # 003 l.1027 The URL is invalid
    "AIS.0023",  # 003 l.1028 The file stored on OBS is oversized
    "AIS.0024",  # 003 l.1029 Failed to obtain the file from OBS (signature)
    "AIS.0025",  # 003 l.1030 The file stored on OBS is empty
    "AIS.0026",  # 003 l.1031 The token type is incorrect
    "AIS.0027",  # 003 l.1034 The account has been frozen
    "AIS.0028",  # 003 l.1035 The job is not owned by the current user
    "AIS.0029",  # 003 l.1036 Failed to download the file from the Internet
    "AIS.0030",  # 003 l.1037 Failed to find the job
    "AIS.0031",  # 003 l.1038 The maximum number of uncompleted jobs has been reached
    "AIS.0032",  # 003 l.1041 The monthly free calls have been used up
    "AIS.0201",  # 003 l.1042 exception while obtaining the input image
    "AIS.0202",  # 003 l.1043 The image format is not supported
    "AIS.0203",  # 003 l.1044 The input parameter does not meet the requirements
    "AIS.0204",  # 003 l.1045 The color depth is not supported
    "AIS.0205",  # 003 l.1046 The resolution of the image exceeds the upper limit
    "AIS.0206",  # 003 l.1047 Algorithm calculation failed
    "AIS.0501",  # 003 l.1050 The input parameter is invalid
    "AIS.0502",  # 003 l.1051 The image format is not supported
    "AIS.0503",  # 003 l.1052 The image is damaged
    "AIS.0504",  # 003 l.1053 The image size does not meet requirements
    "AIS.0505",  # 003 l.1054 Failed to run the algorithm
    "APIG.0101",  # 003 l.1058 The API does not exist or has not been published
    "APIG.0301",  # 003 l.1061 Incorrect IAM authentication information
    "APIG.0201",  # 003 l.1062 The request body is oversized
    "ModelArts.0203",  # 003 l.1066 Invalid token
    "ModelArts.4101",  # 003 l.1067 The token is empty
    "ModelArts.4102",  # 003 l.1068 Failed to parse the token
    "ModelArts.4103",  # 003 l.1069 The token is invalid
    "ModelArts.4104",  # 003 l.1070 The length of the request body is invalid
    "ModelArts.4105",  # 003 l.1071 The JSON format of the request body is incorrect
    "ModelArts.4106",  # 003 l.1072 The account is restricted
    "ModelArts.4201",  # 003 l.1076 The request URL does not contain the service ID
    "ModelArts.4202",  # 003 l.1077 The request URL format is invalid
    "ModelArts.4203",  # 003 l.1078 No access permission
    "ModelArts.4204",  # 003 l.1079 The API is not subscribed to
    "ModelArts.4601",  # 003 l.1080 The external URL is invalid
    "ModelArts.4603",  # 003 l.1081 The file failed to be downloaded from the external URL
    "ModelArts.4702",  # 003 l.1084 The OBS agency failed to be queried
    "ModelArts.4703",  # 003 l.1085 The OBS URL is invalid
    "ModelArts.4704",  # 003 l.1086 Failed to obtain the OBS file
    "ModelArts.4705",  # 003 l.1087 The OBS file is oversized
    "ModelArts.4706",  # 003 l.1088 The OBS file does not exist
    "AIP.0001",  # 003 l.1089 The authentication token is abnormal (403)
    "AIP.0003",  # 003 l.1091 The request is unauthorized (401)
    "AIP.0004",  # 003 l.1092 The service does not exist
    "AIP.0005",  # 003 l.1093 Lack Header or Header %s is empty
    "AIP.0006",  # 003 l.1096 Lack the request parameter
    "AIP.0007",  # 003 l.1097 The request parameter %s is incorrect
    "AIP.0008",  # 003 l.1098 The request method %s is not allowed (405)
    "AIP.0009",  # 003 l.1099 The JSON format of the input data is incorrect
    "AIP.0010",  # 003 l.1100 The param exceeds the range
    "AIP.0011",  # 003 l.1101 Service of %s has been subscribed
    "AIP.0012",  # 003 l.1102 The input parameter is incorrect
    "AIP.0013",  # 003 l.1103 Lack the parameter %s, or the parameter is incorrect
    "AIP.0014",  # 003 l.1104 %s already exists
    "AIP.0015",  # 003 l.1107 Service of %s hasn't been subscribed
    "AIP.0016",  # 003 l.1108 The request parameter is wrong
    "AIP.0017",  # 003 l.1109 The task id %s not exist
    "AIP.0018",  # 003 l.1110 Unable to get agency
    "AIP.0019",  # 003 l.1111 Multi input is not supported
]


@pytest.mark.parametrize("code", OCR_RETRIED)
@pytest.mark.parametrize("status", [400, 429, 500, 504])
def test_ocr_transient_codes_are_retried(code: str, status: int) -> None:
    """Throttling and transient OCR codes are retried whatever the status."""
    assert POLICY.is_retryable(_error(status, code, "ocr"))


@pytest.mark.parametrize("code", OCR_FINAL)
@pytest.mark.parametrize("status", [400, 500, 503])
def test_ocr_final_codes_are_not_retried_even_on_5xx(code: str, status: int) -> None:
    """A code the OCR table documents as final decides, even when the status says 5xx."""
    assert not POLICY.is_retryable(_error(status, code, "ocr"))


@pytest.mark.parametrize("code", IMAGE_RETRIED)
@pytest.mark.parametrize("status", [400, 500])
def test_image_transient_codes_are_retried(code: str, status: int) -> None:
    """Throttling and internal-error Image codes are retried whatever the status."""
    assert POLICY.is_retryable(_error(status, code, "image"))


@pytest.mark.parametrize("code", IMAGE_FINAL)
@pytest.mark.parametrize("status", [400, 500, 503])
def test_image_final_codes_are_not_retried_even_on_5xx(code: str, status: int) -> None:
    """A code the Image table documents as final decides, even when the status says 5xx."""
    assert not POLICY.is_retryable(_error(status, code, "image"))


def test_apig_0201_means_timeout_for_ocr_and_oversized_body_for_image() -> None:
    """APIG.0201: OCR backend timeout (002 l.867) vs Image oversized body (003 l.1062)."""
    ocr = _error(504, "APIG.0201", "ocr")
    image = _error(400, "APIG.0201", "image")
    assert type(ocr) is ServerError and POLICY.is_retryable(ocr)
    assert type(image) is BadRequestError and not POLICY.is_retryable(image)
    assert "APIG.0201" not in RETRYABLE_CODES


@pytest.mark.parametrize(
    ("status", "cls", "retried"), [(504, ServerError, True), (400, BadRequestError, False)]
)
def test_apig_0201_without_a_service_is_decided_by_status(
    status: int, cls: type[APIError], retried: bool
) -> None:
    """With no service named, the ambiguous APIG.0201 falls back to its HTTP status."""
    error = _error(status, "APIG.0201", None)
    assert type(error) is cls
    assert POLICY.is_retryable(error) is retried


@pytest.mark.parametrize("service", [None, "ocr", "image"])
def test_aip_0500_is_a_retried_server_error(service: str | None) -> None:
    """AIP.0500 (003 l.1090, status 500, internal service error) is retried."""
    error = _error(500, "AIP.0500", service)
    assert type(error) is ServerError
    assert POLICY.is_retryable(error)


@pytest.mark.parametrize(
    "code",
    [
        "ModelArts.4503",  # 002 l.850 The service does not exist
        "ModelArts.4504",  # 002 l.851 The API to be accessed does not exist
        "ModelArts.4506",  # 002 l.853 The subservice corresponding to the API does not exist
        "ModelArts.4508",  # 002 l.854 The service does not exist or is stopped
    ],
)
@pytest.mark.parametrize("service", [None, "ocr"])
def test_missing_backend_service_is_a_final_not_found(code: str, service: str | None) -> None:
    """A backend service or API that does not exist is a configuration fault, not retried."""
    error = _error(503, code, service)
    assert type(error) is NotFoundError
    assert not POLICY.is_retryable(error)


@pytest.mark.parametrize("service", [None, "ocr", "image", "iam"])
def test_408_without_a_known_code_is_retried(service: str | None) -> None:
    """408: "The client may repeat the request without modifications" (002 l.774)."""
    assert POLICY.is_retryable(_error(408, None, service))
    assert POLICY.is_retryable(_error(408, "Unknown.0001", service))
    assert not POLICY.is_retryable(_error(408, "AIS.0101", service))


@pytest.mark.parametrize("code", ["AIS.0199", "AIS.0999", "AIP.0099"])
def test_unknown_codes_of_the_request_families_are_never_retried(code: str) -> None:
    """AIS.* and AIP.* codes no table lists are request errors: a 5xx does not retry them."""
    assert not POLICY.is_retryable(_error(500, code, "image"))
    assert not POLICY.is_retryable(_error(500, code, None))


def test_retry_codes_given_by_the_user_still_decide() -> None:
    """retry_codes= replaces the every-service set; per-service extras stay on their own."""
    policy = RetryPolicy(retry_codes=frozenset({"AIS.0101"}))
    assert policy.is_retryable(_error(400, "AIS.0101", "ocr"))
    assert not policy.is_retryable(_error(429, "APIG.0308", "ocr"))
    assert policy.is_retryable(_error(504, "APIG.0201", "ocr"))
    bare = RetryPolicy(retry_codes=frozenset(), service_retry_codes={})
    assert not bare.is_retryable(_error(504, "APIG.0201", "ocr"))


def test_service_retry_codes_is_frozen_data() -> None:
    """The per-service extras are read-only; the policy stays hashable, copyable, picklable."""
    policy = RetryPolicy(service_retry_codes={"image": frozenset({"AIS.0031"})})
    assert policy.is_retryable(_error(400, "AIS.0031", "image"))
    assert not policy.is_retryable(_error(400, "AIS.0031", None))
    with pytest.raises(TypeError):
        policy.service_retry_codes["ocr"] = frozenset()  # type: ignore[index]
    same = RetryPolicy(service_retry_codes={"image": {"AIS.0031"}})
    assert policy == same and hash(policy) == hash(same)
    assert policy != RetryPolicy()
    assert pickle.loads(pickle.dumps(policy)) == policy
    assert copy.deepcopy(RetryPolicy()) == RetryPolicy()


OCR_CLASSES = [
    ("AIS.0101", BadRequestError),  # 002 l.821
    ("AIS.0102", ImageError),  # 002 l.824
    ("AIS.0103", ImageError),  # 002 l.825
    ("AIS.0104", ImageError),  # 002 l.826
    ("AIS.0105", ImageError),  # 002 l.827
    ("ModelArts.0203", AuthenticationError),  # 002 l.828
    ("ModelArts.4101", AuthenticationError),  # 002 l.829
    ("ModelArts.4102", AuthenticationError),  # 002 l.830
    ("ModelArts.4103", AuthenticationError),  # 002 l.831
    ("ModelArts.4104", BadRequestError),  # 002 l.832
    ("ModelArts.4105", BadRequestError),  # 002 l.835
    ("ModelArts.4106", PermissionDeniedError),  # 002 l.836
    ("ModelArts.4107", ServerError),  # 002 l.837
    ("ModelArts.4201", BadRequestError),  # 002 l.838
    ("ModelArts.4202", BadRequestError),  # 002 l.839
    ("ModelArts.4203", PermissionDeniedError),  # 002 l.840
    ("ModelArts.4204", NotSubscribedError),  # 002 l.841
    ("ModelArts.4301", ServerError),  # 002 l.844
    ("ModelArts.4302", ServerError),  # 002 l.845
    ("ModelArts.4401", ThrottledError),  # 002 l.846
    ("ModelArts.4402", ServerError),  # 002 l.847
    ("ModelArts.4403", ServerError),  # 002 l.848
    ("ModelArts.4502", ServerError),  # 002 l.849
    ("ModelArts.4503", NotFoundError),  # 002 l.850
    ("ModelArts.4504", NotFoundError),  # 002 l.851
    ("ModelArts.4505", ServerError),  # 002 l.852
    ("ModelArts.4506", NotFoundError),  # 002 l.853
    ("ModelArts.4508", NotFoundError),  # 002 l.854
    ("ModelArts.4601", URLFetchError),  # 002 l.857
    ("ModelArts.4603", URLFetchError),  # 002 l.858
    ("ModelArts.4702", URLFetchError),  # 002 l.859
    ("ModelArts.4703", URLFetchError),  # 002 l.860
    ("ModelArts.4704", URLFetchError),  # 002 l.861
    ("ModelArts.4705", URLFetchError),  # 002 l.862
    ("ModelArts.4706", URLFetchError),  # 002 l.863
    ("APIG.0101", NotFoundError),  # 002 l.866
    ("APIG.0201", ServerError),  # 002 l.867
    ("APIG.0301", AuthenticationError),  # 002 l.870
    ("APIG.0308", ThrottledError),  # 002 l.874
]

IMAGE_CLASSES = [
    ("AIS.0002", AuthenticationError),  # 003 l.1011
    ("AIS.0003", ServerError),  # 003 l.1014
    ("AIS.0004", NotSubscribedError),  # 003 l.1015
    ("AIS.0007", NotSubscribedError),  # 003 l.1016
    ("AIS.0010", BadRequestError),  # 003 l.1017
    ("AIS.0011", BadRequestError),  # 003 l.1018
    ("AIS.0012", BadRequestError),  # 003 l.1019
    ("AIS.0013", BadRequestError),  # 003 l.1020
    ("AIS.0014", BadRequestError),  # 003 l.1021
    ("AIS.0015", ImageError),  # 003 l.1024
    ("AIS.0020", BadRequestError),  # 003 l.1025
    ("AIS.0021", ImageError),  # 003 l.1026
    ("AIS.0022", URLFetchError),  # 003 l.1027
    ("AIS.0023", URLFetchError),  # 003 l.1028
    ("AIS.0024", URLFetchError),  # 003 l.1029
    ("AIS.0025", URLFetchError),  # 003 l.1030
    ("AIS.0026", AuthenticationError),  # 003 l.1031
    ("AIS.0027", PermissionDeniedError),  # 003 l.1034
    ("AIS.0028", PermissionDeniedError),  # 003 l.1035
    ("AIS.0029", URLFetchError),  # 003 l.1036
    ("AIS.0030", BadRequestError),  # 003 l.1037
    ("AIS.0031", ThrottledError),  # 003 l.1038
    ("AIS.0032", PermissionDeniedError),  # 003 l.1041
    ("AIS.0201", ImageError),  # 003 l.1042
    ("AIS.0202", ImageError),  # 003 l.1043
    ("AIS.0203", BadRequestError),  # 003 l.1044
    ("AIS.0204", ImageError),  # 003 l.1045
    ("AIS.0205", ImageError),  # 003 l.1046
    ("AIS.0206", ServerError),  # 003 l.1047
    ("AIS.0501", BadRequestError),  # 003 l.1050
    ("AIS.0502", ImageError),  # 003 l.1051
    ("AIS.0503", ImageError),  # 003 l.1052
    ("AIS.0504", ImageError),  # 003 l.1053
    ("AIS.0505", ServerError),  # 003 l.1054
    ("AIS.0506", ServerError),  # 003 l.1055
    ("APIG.0101", NotFoundError),  # 003 l.1058
    ("APIG.0301", AuthenticationError),  # 003 l.1061
    ("APIG.0201", BadRequestError),  # 003 l.1062
    ("APIG.0308", ThrottledError),  # 003 l.1065
    ("ModelArts.0203", AuthenticationError),  # 003 l.1066
    ("ModelArts.4101", AuthenticationError),  # 003 l.1067
    ("ModelArts.4102", AuthenticationError),  # 003 l.1068
    ("ModelArts.4103", AuthenticationError),  # 003 l.1069
    ("ModelArts.4104", BadRequestError),  # 003 l.1070
    ("ModelArts.4105", BadRequestError),  # 003 l.1071
    ("ModelArts.4106", PermissionDeniedError),  # 003 l.1072
    ("ModelArts.4107", ServerError),  # 003 l.1075
    ("ModelArts.4201", BadRequestError),  # 003 l.1076
    ("ModelArts.4202", BadRequestError),  # 003 l.1077
    ("ModelArts.4203", PermissionDeniedError),  # 003 l.1078
    ("ModelArts.4204", NotSubscribedError),  # 003 l.1079
    ("ModelArts.4601", URLFetchError),  # 003 l.1080
    ("ModelArts.4603", URLFetchError),  # 003 l.1081
    ("ModelArts.4702", URLFetchError),  # 003 l.1084
    ("ModelArts.4703", URLFetchError),  # 003 l.1085
    ("ModelArts.4704", URLFetchError),  # 003 l.1086
    ("ModelArts.4705", URLFetchError),  # 003 l.1087
    ("ModelArts.4706", URLFetchError),  # 003 l.1088
    ("AIP.0001", AuthenticationError),  # 003 l.1089
    ("AIP.0500", ServerError),  # 003 l.1090
    ("AIP.0003", AuthenticationError),  # 003 l.1091
    ("AIP.0004", NotFoundError),  # 003 l.1092
    ("AIP.0005", BadRequestError),  # 003 l.1093
    ("AIP.0006", BadRequestError),  # 003 l.1096
    ("AIP.0007", BadRequestError),  # 003 l.1097
    ("AIP.0008", NotFoundError),  # 003 l.1098
    ("AIP.0009", BadRequestError),  # 003 l.1099
    ("AIP.0010", BadRequestError),  # 003 l.1100
    ("AIP.0011", BadRequestError),  # 003 l.1101
    ("AIP.0012", BadRequestError),  # 003 l.1102
    ("AIP.0013", BadRequestError),  # 003 l.1103
    ("AIP.0014", BadRequestError),  # 003 l.1104
    ("AIP.0015", NotSubscribedError),  # 003 l.1107
    ("AIP.0016", BadRequestError),  # 003 l.1108
    ("AIP.0017", BadRequestError),  # 003 l.1109
    ("AIP.0018", URLFetchError),  # 003 l.1110
    ("AIP.0019", BadRequestError),  # 003 l.1111
]


@pytest.mark.parametrize(("code", "cls"), OCR_CLASSES)
def test_ocr_table_classes(code: str, cls: type[APIError]) -> None:
    """Every OCR code maps to its class, whatever the status it comes with."""
    assert error_class_for(400, code, service="ocr") is cls
    assert error_class_for(500, code, service="ocr") is cls


@pytest.mark.parametrize(("code", "cls"), IMAGE_CLASSES)
def test_image_table_classes(code: str, cls: type[APIError]) -> None:
    """Every Image code maps to its class, whatever the status it comes with."""
    assert error_class_for(400, code, service="image") is cls
    assert error_class_for(500, code, service="image") is cls
