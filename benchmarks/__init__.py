"""Side-by-side benchmarks of aiocloudocr, a hand-written aiohttp loop and the official SDK."""
