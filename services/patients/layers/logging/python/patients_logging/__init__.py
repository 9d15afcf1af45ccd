"""The logging layer: Powertools Logger, structured JSON, the API request id as the
correlation id, and a PHI scrubber between every log record and its line.

    scrub   what PHI looks like in a log record, and how it is removed
    logger  the Logger every function uses
"""
