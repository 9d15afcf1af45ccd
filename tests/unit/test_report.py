import json

from serverlite.functions import report


def test_report_line_cold_start_has_init_duration_and_bills_it():
    usage = report.Usage(duration_ms=12.341, memory_mb=128, max_memory_used_mb=41, init_ms=20.5)
    line = report.report_line("abc", usage)
    assert line == (
        "REPORT RequestId: abc\tDuration: 12.34 ms\tBilled Duration: 33 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 41 MB\tInit Duration: 20.50 ms\t"
    )


def test_report_line_warm_has_no_init_duration_and_bills_whole_ms():
    usage = report.Usage(duration_ms=0.2, memory_mb=512, max_memory_used_mb=60)
    line = report.report_line("r1", usage)
    assert "Init Duration" not in line
    assert "Billed Duration: 1 ms" in line


def test_report_line_status_for_platform_errors():
    usage = report.Usage(
        duration_ms=3000.0,
        memory_mb=128,
        max_memory_used_mb=129,
        status="error",
        error_type="Runtime.OutOfMemory",
    )
    assert report.report_line("r", usage).endswith(
        "Status: error\tError Type: Runtime.OutOfMemory\t"
    )


def test_max_memory_used_never_exceeds_the_memory_size():
    # A sample a little past the cap (before the kill) reads as the cap; a kill always
    # reads the cap, even when its last sample rounded under it.
    assert report.max_memory_used_mb(131_400, 128) == 128
    assert report.max_memory_used_mb(131_400, 128, out_of_memory=True) == 128
    assert report.max_memory_used_mb(120 * 1024, 128, out_of_memory=True) == 128
    assert report.max_memory_used_mb(41 * 1024, 128) == 41
    assert report.max_memory_used_mb(0, 128) == 1


def test_start_and_end_lines():
    assert report.start_line("r") == "START RequestId: r Version: $LATEST"
    assert report.end_line("r") == "END RequestId: r"


def test_timeout_payload_is_exactly_aws_shape():
    payload = json.loads(report.timeout_payload("id-1", 3))
    assert payload == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "RequestId: id-1 Error: Task timed out after 3.00 seconds",
    }


def test_timeout_log_line():
    line = report.timeout_log_line("id-1", 1.5, now=0.25)
    assert line == "1970-01-01T00:00:00.250Z id-1 Task timed out after 1.50 seconds"


def test_response_too_large_payload():
    payload = json.loads(report.response_too_large_payload(6291556))
    assert payload["errorType"] == "Function.ResponseSizeTooLarge"
    assert "6291556 bytes" in payload["errorMessage"]


def test_platform_lines_json_records_and_system_level() -> None:
    usage = report.Usage(duration_ms=2.5, memory_mb=128, max_memory_used_mb=30, init_ms=10.0)
    text_before, text_after = report.platform_lines("r1", "$LATEST", usage, start_ms=1, end_ms=2)
    assert text_before[0][1].startswith("START RequestId: r1")
    assert text_after[1][1].startswith("REPORT RequestId: r1")
    before, after = report.platform_lines(
        "r1", "$LATEST", usage, start_ms=1000, end_ms=2000, log_format="JSON"
    )
    start = json.loads(before[0][1])
    assert start == {
        "time": "1970-01-01T00:00:01.000Z",
        "type": "platform.start",
        "record": {"requestId": "r1", "version": "$LATEST"},
    }
    done, rep = (json.loads(line) for _, line in after)
    assert done["type"] == "platform.runtimeDone" and done["record"]["status"] == "success"
    assert rep["type"] == "platform.report"
    assert rep["record"]["metrics"] == {
        "durationMs": 2.5,
        "billedDurationMs": 13,
        "memorySizeMB": 128,
        "maxMemoryUsedMB": 30,
        "initDurationMs": 10.0,
    }
    quiet = report.platform_lines(
        "r1", "$LATEST", usage, start_ms=1, end_ms=2, log_format="JSON", system_log_level="WARN"
    )
    assert quiet == ([], [])
