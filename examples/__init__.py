"""Runnable examples of aiocloudocr in an aiohttp web app and in an async pipeline."""
