"""Bulk runs on Ray Data under one account-wide quota.

A quota belongs to the account, not to a process: workers that each pace themselves exceed
it together. Here every worker's client draws on one quota actor (:class:`AccountQuota`), and
:func:`map_ocr` runs an operation over a Ray Dataset with it::

    import ray
    from aiocloudocr.ray import AccountQuota, ClientSettings, map_ocr

    images = ray.data.read_binary_files("scans/", include_paths=True)
    outcomes = map_ocr(images, "web_image", settings=ClientSettings.from_env(),
                       quota=AccountQuota(), workers=4)
    outcomes.write_parquet("out/run-1")

Ray is needed only when these are used (``pip install 'aiocloudocr[ray]'``).
"""

from aiocloudocr.ray._lease import QuotaLimiter
from aiocloudocr.ray._mapper import OcrMapper, map_ocr, output_schema, record_of_row
from aiocloudocr.ray._quota import AccountQuota, Grant, QuotaActor, QuotaBooks, Report
from aiocloudocr.ray._resume import done_keys, skip_done
from aiocloudocr.ray._settings import ClientSettings, emulator_credentials

__all__ = [
    "AccountQuota",
    "ClientSettings",
    "Grant",
    "OcrMapper",
    "QuotaActor",
    "QuotaBooks",
    "QuotaLimiter",
    "Report",
    "done_keys",
    "emulator_credentials",
    "map_ocr",
    "output_schema",
    "record_of_row",
    "skip_done",
]
