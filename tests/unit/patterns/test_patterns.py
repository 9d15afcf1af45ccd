"""The event pattern language, case by case, from the EventBridge User Guide
("Event patterns", "Content filtering", "Comparison operators", "Arrays", "Null
values and empty strings") and EventBridge's pattern engine's documented rules.

Each MATCHES row is (pattern, event, expected); each INVALID row is (pattern, the
reason AWS gives). Events are JSON text, so numbers keep their spelling as AWS
sees them. Where AWS was observed to differ from its user guide (recorded answers of
TestEventPattern), the row says so; test_aws_parity.py holds those cases one by one.
"""

import json

import pytest

from serverlite.patterns import PatternError, compile_pattern

EC2 = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}
AUTOSCALING = {
    "version": "0",
    "id": "3e3c153a-8339-4e30-8c35-687ebef853fe",
    "detail-type": "EC2 Instance Launch Successful",
    "source": "aws.autoscaling",
    "account": "123456789012",
    "time": "2015-11-11T21:31:47Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"eventVersion": "", "responseElements": None},
}
RULER = {  # the sample event of EventBridge's pattern engine documentation
    "version": "0",
    "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "012345679012",
    "time": "2017-10-02T16:24:49Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.33",
        "instance-id": "i-000000aaaaaa00000",
        "state": "running",
    },
}
MACIE = {
    "source": "aws.macie",
    "detail-type": "Macie Alert",
    "detail": {
        "notification-type": "ALERT_CREATED",
        "tags": ["Custom_Alert", "Insider"],
        "risk-score": 80,
        "trigger": {"alert-type": "basic", "risk": 8},
    },
}
EMPLOYEES = {
    "employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"},
    ]
}
NESTED_EMPLOYEES = {
    "employees": [
        [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}],
        [{"firstName": "Peter", "lastName": "Jones"}],
    ]
}
RESOURCES_PATTERN = {
    "resources": [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
    ]
}
CW = {"source": "aws.cloudwatch", "metricName": "CPUUtilization", "namespace": "AWS/Lambda"}


def ev(**detail):
    return {"source": "test", "detail": detail}


def raw(text):
    """An event given as JSON text (numbers keep their spelling)."""
    return text


MATCHES = [
    # -- exact values, AND across fields, OR within a field (Event patterns) -------------
    ({"source": ["aws.ec2"]}, EC2, True),
    ({"source": ["aws.ec2", "aws.fargate"]}, EC2, True),
    ({"source": ["aws.fargate"]}, EC2, False),
    (
        {
            "source": ["aws.ec2"],
            "detail-type": ["EC2 Instance State-change Notification"],
            "detail": {"state": ["terminated"]},
        },
        EC2,
        True,
    ),
    ({"source": ["aws.ec2"], "detail": {"state": ["running"]}}, EC2, False),
    ({"source": ["aws.ec2"], "region": ["us-west-1"], "account": ["111122223333"]}, EC2, True),
    ({"source": ["aws.ec2"], "account": ["123456789012"]}, EC2, False),
    ({"detail": {"instance-id": ["i-1234567890abcdef0"]}}, EC2, True),
    ({"detail": {"missing": ["x"]}}, EC2, False),
    ({"nothere": {"state": ["terminated"]}}, EC2, False),
    ({"source": ["AWS.EC2"]}, EC2, False),  # exact matching is case-sensitive
    ({"source": ["aws.ec2 "]}, EC2, False),  # no normalisation
    ({"detail": ["terminated"]}, EC2, False),  # an object is not a leaf value
    ({"source": {"x": ["aws.ec2"]}}, EC2, False),  # nesting must follow the event
    # -- numbers, booleans, null, empty strings ----------------------------------------
    (
        {
            "source": ["aws.macie"],
            "detail-type": ["Macie Alert"],
            "detail": {"risk-score": [80], "trigger": {"risk": [8]}},
        },
        MACIE,
        True,
    ),
    ({"detail": {"risk-score": [81]}}, MACIE, False),
    ({"detail": {"trigger": {"risk": [8], "alert-type": ["basic"]}}}, MACIE, True),
    ({"detail": {"trigger": {"risk": [9]}}}, MACIE, False),
    ({"detail": {"risk-score": ["80"]}}, MACIE, False),  # string is not the number
    ({"a": ["80"]}, raw('{"a": "80"}'), True),
    ({"a": [80]}, raw('{"a": "80"}'), False),
    ({"a": [300]}, raw('{"a": 300}'), True),
    # a literal number matches the same text or the same value (observed on AWS; the
    # user guide's "300, 300.0 and 3.0e2 are not considered equal" is not what it does)
    ({"a": [300]}, raw('{"a": 300.0}'), True),
    ({"a": [300]}, raw('{"a": 3.0e2}'), True),
    ({"a": [300]}, raw('{"a": 300.5}'), False),
    ({"a": [300.0]}, raw('{"a": 300.0}'), True),
    ({"a": [-1]}, raw('{"a": -1}'), True),
    ({"a": [True]}, raw('{"a": true}'), True),
    ({"a": [True]}, raw('{"a": "true"}'), False),
    ({"a": ["true"]}, raw('{"a": true}'), False),
    ({"a": [False]}, raw('{"a": false}'), True),
    ({"a": [False]}, raw('{"a": 0}'), False),
    ({"a": [True]}, raw('{"a": 1}'), False),
    ({"detail": {"responseElements": [None]}}, AUTOSCALING, True),
    ({"detail": {"eventVersion": [""]}}, AUTOSCALING, True),
    ({"detail": {"eventVersion": [None]}}, AUTOSCALING, False),  # null is not ""
    ({"detail": {"responseElements": [""]}}, AUTOSCALING, False),
    (
        {
            "source": ["aws.autoscaling"],
            "detail-type": ["EC2 Instance Launch Successful"],
            "detail": {"responseElements": [None]},
        },
        AUTOSCALING,
        True,
    ),
    ({"detail": {"missing": [None]}}, AUTOSCALING, False),  # absent is not null
    ({"a": [None, "x"]}, raw('{"a": "x"}'), True),
    # -- arrays in events (Arrays in event patterns) -----------------------------------
    (
        RESOURCES_PATTERN,
        {
            "resources": [
                "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b:ASGTerminate",
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            ]
        },
        True,
    ),
    (RESOURCES_PATTERN, {"resources": ["arn:aws:ec2:us-east-1:999999999999:instance/i-x"]}, False),
    ({"resources": ["a"]}, {"resources": []}, False),
    ({"detail": {"tags": ["Insider"]}}, MACIE, True),
    ({"detail": {"tags": ["Outsider"]}}, MACIE, False),
    ({"a": ["x"]}, {"a": [["y"], ["z", "x"]]}, True),  # nested arrays are flattened
    ({"a": [1]}, raw('{"a": [[2], [3, 1]]}'), True),
    ({"employees": {"firstName": ["Anna"]}}, EMPLOYEES, True),
    ({"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}, EMPLOYEES, True),
    # fields under one array must come from the same element (array consistency)
    ({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}, EMPLOYEES, False),
    ({"employees": {"firstName": ["Peter"]}}, NESTED_EMPLOYEES, True),
    ({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}, NESTED_EMPLOYEES, False),
    ({"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}, NESTED_EMPLOYEES, True),
    ({"a": {"b": ["1"]}, "c": {"d": ["2"]}}, {"a": [{"b": "1"}], "c": [{"d": "2"}]}, True),
    (
        {"a": {"b": {"c": ["1"]}, "d": ["2"]}},
        {"a": {"b": [{"c": "9"}, {"c": "1"}], "d": "2"}},
        True,
    ),
    ({"a": {"b": ["x"]}}, {"a": ["x"]}, False),  # scalars in an array are not objects
    ({"a": ["x"]}, {"a": [{"b": "x"}, "x"]}, True),
    # -- prefix (Content filtering) -----------------------------------------------------
    ({"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-02T18:43:48Z"}, True),
    ({"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-03T18:43:48Z"}, False),
    (
        {"source": ["aws.autoscaling"], "region": [{"prefix": "eu-"}]},
        {"source": "aws.autoscaling", "region": "eu-west-1"},
        True,
    ),
    ({"region": [{"prefix": "eu-"}]}, {"region": "us-east-1"}, False),
    ({"a": [{"prefix": "1"}]}, raw('{"a": 123}'), False),  # strings only
    ({"a": [{"prefix": ""}]}, {"a": "anything"}, True),
    ({"a": [{"prefix": "Eu"}]}, {"a": "eu-west-1"}, False),  # case-sensitive
    ({"service": [{"prefix": {"equals-ignore-case": "eventb"}}]}, {"service": "EventBridge"}, True),
    ({"service": [{"prefix": {"equals-ignore-case": "eventb"}}]}, {"service": "EVENTBUS"}, True),
    ({"service": [{"prefix": {"equals-ignore-case": "eventb"}}]}, {"service": "Lambda"}, False),
    ({"a": [{"prefix": "x"}, {"prefix": "y"}]}, {"a": "yes"}, True),
    ({"a": [{"prefix": "pre"}]}, {"a": ["other", "prefixed"]}, True),
    # -- suffix ------------------------------------------------------------------------
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": "image.png"}, True),
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": "image.jpg"}, False),
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": "image.PNG"}, False),
    (
        {"service": [{"suffix": {"equals-ignore-case": "tBridge"}}]},
        {"service": "EventBridge"},
        True,
    ),
    (
        {"service": [{"suffix": {"equals-ignore-case": "tBridge"}}]},
        {"service": "EVENTBRIDGE"},
        True,
    ),
    ({"service": [{"suffix": {"equals-ignore-case": "tBridge"}}]}, {"service": "Events"}, False),
    ({"source": [{"suffix": "ec2"}]}, RULER, True),
    ({"a": [{"suffix": "5"}]}, raw('{"a": 15}'), False),
    # -- equals-ignore-case ------------------------------------------------------------
    ({"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "Alice"}, True),
    ({"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "ALICE"}, True),
    ({"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "Alicia"}, False),
    ({"source": [{"equals-ignore-case": "EC2"}]}, RULER, False),
    ({"source": [{"equals-ignore-case": "AWS.EC2"}]}, RULER, True),
    ({"a": [{"equals-ignore-case": "true"}]}, raw('{"a": true}'), False),
    # -- wildcard ----------------------------------------------------------------------
    ({"source": [{"wildcard": "Simple*Service"}]}, {"source": "SimpleQueueService"}, True),
    ({"source": [{"wildcard": "Simple*Service"}]}, {"source": "SimpleService"}, True),
    ({"source": [{"wildcard": "Simple*Service"}]}, {"source": "SimpleServices"}, False),
    (
        {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
        {"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/orders"},
        True,
    ),
    (
        {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
        {"EventBusArn": "arn:aws:events:us-west-2:123456789012:event-bus/orders"},
        False,
    ),
    ({"FilePath": [{"wildcard": "dir/*.png"}]}, {"FilePath": "dir/a/b.png"}, True),
    ({"FilePath": [{"wildcard": "dir/*.png"}]}, {"FilePath": "other/b.png"}, False),
    ({"a": [{"wildcard": "*"}]}, {"a": ""}, True),
    ({"a": [{"wildcard": "*"}]}, raw('{"a": 5}'), False),
    ({"a": [{"wildcard": "a*b*c"}]}, {"a": "abc"}, True),
    ({"a": [{"wildcard": "a*b*c"}]}, {"a": "axxbyyc"}, True),
    ({"a": [{"wildcard": "a*b*c"}]}, {"a": "axxbyy"}, False),
    ({"a": [{"wildcard": "a\\*b"}]}, {"a": "a*b"}, True),  # escaped star is literal
    ({"a": [{"wildcard": "a\\*b"}]}, {"a": "axb"}, False),
    ({"a": [{"wildcard": "a\\\\b"}]}, {"a": "a\\b"}, True),  # escaped backslash
    ({"a": [{"wildcard": "a.c"}]}, {"a": "abc"}, False),  # no regex meaning
    ({"a": [{"wildcard": "line*end"}]}, {"a": "line\nend"}, True),
    ({"a": [{"wildcard": "x"}]}, {"a": "x"}, True),
    # -- anything-but ------------------------------------------------------------------
    ({"detail": {"state": [{"anything-but": "initializing"}]}}, ev(state="running"), True),
    ({"detail": {"state": [{"anything-but": "initializing"}]}}, ev(state="initializing"), False),
    ({"detail": {"state": [{"anything-but": "initializing"}]}}, ev(other="x"), False),
    ({"detail": {"x-limit": [{"anything-but": 123}]}}, raw('{"detail": {"x-limit": 124}}'), True),
    ({"detail": {"x-limit": [{"anything-but": 123}]}}, raw('{"detail": {"x-limit": 123}}'), False),
    (
        {"detail": {"x-limit": [{"anything-but": 123}]}},
        raw('{"detail": {"x-limit": 123.0}}'),
        False,
    ),  # numeric anything-but compares values
    (
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        ev(state="running"),
        True,
    ),
    (
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        ev(state="stopped"),
        False,
    ),
    (
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        raw('{"detail": {"x-limit": 150}}'),
        True,
    ),
    (
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        raw('{"detail": {"x-limit": 200}}'),
        False,
    ),
    ({"price": [{"anything-but": [100, 500]}]}, raw('{"price": [100, 50]}'), True),
    ({"price": [{"anything-but": [100, 500]}]}, raw('{"price": [100, 500]}'), False),
    ({"price": [{"anything-but": [100, 500]}]}, raw('{"price": 100.1}'), True),
    ({"a": [{"anything-but": "x"}]}, raw('{"a": 5}'), True),  # other types are "anything but"
    ({"a": [{"anything-but": "x"}]}, raw('{"a": null}'), True),
    ({"a": [{"anything-but": 5}]}, raw('{"a": "5"}'), True),
    ({"a": [{"anything-but": "x"}]}, raw('{"a": []}'), False),
    ({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}, ev(state="running"), True),
    (
        {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
        ev(state="initializing"),
        False,
    ),
    ({"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "eu-west-1"}, True),
    ({"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "us-east-1"}, False),
    ({"Region": [{"anything-but": {"prefix": ["us-", "eu-"]}}]}, {"Region": "eu-west-1"}, False),
    ({"Region": [{"anything-but": {"prefix": ["us-", "eu-"]}}]}, {"Region": "ap-south-1"}, True),
    ({"FileName": [{"anything-but": {"suffix": ".png"}}]}, {"FileName": "a.jpg"}, True),
    ({"FileName": [{"anything-but": {"suffix": ".png"}}]}, {"FileName": "a.png"}, False),
    ({"FileName": [{"anything-but": {"suffix": [".png", ".gif"]}}]}, {"FileName": "a.gif"}, False),
    (
        {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
        {"state": "INITIALIZING"},
        False,
    ),
    (
        {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
        {"state": "running"},
        True,
    ),
    (
        {"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "overloaded"]}}]},
        {"state": "STOPPED"},
        False,
    ),
    (
        {"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "overloaded"]}}]},
        {"state": "Running"},
        True,
    ),
    ({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}, {"FilePath": "/usr/lib/x"}, False),
    ({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}, {"FilePath": "/usr/bin/x"}, True),
    (
        {"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]},
        {"FilePath": "/usr/bin/x"},
        False,
    ),
    ({"Weather": [{"anything-but": ["Raining"]}]}, {"Weather": "Sunny"}, True),
    # -- numeric -----------------------------------------------------------------------
    (
        {
            "detail": {
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"numeric": ["=", 3.018e2]}],
            }
        },
        RULER,
        True,
    ),
    ({"detail": {"c-count": [{"numeric": [">", 5]}]}}, RULER, False),
    ({"detail": {"c-count": [{"numeric": [">=", 5]}]}}, RULER, True),
    ({"detail": {"c-count": [{"numeric": ["<", 5]}]}}, RULER, False),
    ({"detail": {"c-count": [{"numeric": ["<=", 5]}]}}, RULER, True),
    ({"detail": {"c-count": [{"numeric": ["=", 5]}]}}, RULER, True),
    ({"detail": {"c-count": [{"numeric": ["=", 5.0]}]}}, RULER, True),  # by value, not text
    (
        {"detail": {"x-limit": [{"numeric": ["=", 301.8]}]}},
        raw('{"detail": {"x-limit": 3.018e2}}'),
        True,
    ),
    ({"Price": [{"numeric": [">", 10, "<=", 20]}]}, raw('{"Price": 20}'), True),
    ({"Price": [{"numeric": [">", 10, "<=", 20]}]}, raw('{"Price": 10}'), False),
    ({"Price": [{"numeric": [">=", 10, "<", 20]}]}, raw('{"Price": 10}'), True),
    ({"Price": [{"numeric": [">=", 10, "<", 20]}]}, raw('{"Price": 20}'), False),
    ({"Price": [{"numeric": [">", 10, "<=", 20]}]}, raw('{"Price": "15"}'), False),  # numbers only
    ({"Price": [{"numeric": ["<", 0]}]}, raw('{"Price": -0.5}'), True),
    ({"Price": [{"numeric": [">", -1e9, "<", 1e9]}]}, raw('{"Price": 123456789}'), True),
    ({"Price": [{"numeric": [">", 0]}]}, raw('{"Price": [-1, 3]}'), True),
    ({"Price": [{"numeric": [">", 0]}]}, raw('{"Price": true}'), False),
    ({"Price": [{"numeric": ["=", 1]}]}, raw('{"Price": 1.0000001}'), True),  # six decimals
    ({"Price": [{"numeric": ["=", 1]}]}, raw('{"Price": 1.000001}'), False),
    ({"Price": [{"numeric": ["<", 100]}, {"numeric": [">", 200]}]}, raw('{"Price": 250}'), True),
    ({"Price": [{"numeric": ["<", 100]}, {"numeric": [">", 200]}]}, raw('{"Price": 150}'), False),
    # -- IP addresses ------------------------------------------------------------------
    (
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        ev(sourceIPAddress="10.0.0.5"),
        True,
    ),
    (
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        ev(sourceIPAddress="10.0.1.5"),
        False,
    ),
    ({"detail": {"source-ip": [{"cidr": "10.0.0.0/8"}]}}, RULER, True),
    ({"a": [{"cidr": "2001:db8::/32"}]}, {"a": "2001:db8:1::7"}, True),
    ({"a": [{"cidr": "2001:db8::/32"}]}, {"a": "2001:db9::1"}, False),
    ({"a": [{"cidr": "10.0.0.0/24"}]}, {"a": "not-an-ip"}, False),
    ({"a": [{"cidr": "10.0.0.0/24"}]}, {"a": "::ffff:10.0.0.1"}, False),  # v6 is not v4
    ({"a": [{"cidr": "0.0.0.0/0"}]}, {"a": "192.168.1.1"}, True),
    ({"a": ["10.0.0.1"]}, {"a": "10.0.0.1"}, True),
    ({"a": ["2001:db8::1"]}, {"a": "2001:0db8:0:0:0:0:0:1"}, True),  # same address
    # -- exists ------------------------------------------------------------------------
    (
        {"detail": {"c-count": [{"exists": False}]}},
        {"detail-type": "x", "detail": {"state": ["initializing", "running"]}},
        True,
    ),
    (
        {"detail": {"c-count": [{"exists": False}]}},
        {"detail": {"state": "running", "c-count": {"c1": 100}}},
        True,
    ),  # not a leaf
    (
        {"detail": {"c-count": [{"exists": True}]}},
        {"detail": {"state": "running", "c-count": {"c1": 100}}},
        False,
    ),
    ({"detail": {"c-count": [{"exists": True}]}}, RULER, True),
    ({"detail": {"c-count": [{"exists": False}]}}, RULER, False),
    ({"ProductName": [{"exists": True}]}, {"ProductName": None}, True),  # null is a value
    ({"ProductName": [{"exists": True}]}, {"ProductName": ""}, True),
    ({"ProductName": [{"exists": True}]}, {"ProductName": []}, False),  # no leaf value
    ({"ProductName": [{"exists": False}]}, {"ProductName": []}, True),
    ({"ProductName": [{"exists": False}]}, {"Other": 1}, True),
    ({"a": {"b": [{"exists": False}]}}, {"x": 1}, True),
    ({"a": {"b": [{"exists": False}]}}, {"a": [{"b": 1}, {"c": 2}]}, False),  # present somewhere
    ({"a": {"b": [{"exists": False}], "c": [2]}}, {"a": [{"b": 1}, {"c": 2}]}, True),
    ({"a": {"b": [{"exists": False}], "c": [2]}}, {"a": [{"b": 1, "c": 2}]}, False),
    ({"a": [{"exists": False}, "x"]}, {"b": 1}, True),
    ({"a": [{"exists": False}, "x"]}, {"a": "x"}, True),
    ({"a": [{"exists": False}, "x"]}, {"a": "y"}, False),
    # -- $or ---------------------------------------------------------------------------
    ({"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]}, {"Day": "Monday"}, True),
    ({"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]}, {"Location": "New York"}, True),
    ({"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]}, {"Location": "Boston"}, False),
    (
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPUUtilization", "ReadLatency"]},
                {"namespace": ["AWS/EC2", "AWS/ES"]},
            ],
        },
        CW,
        True,
    ),
    (
        {
            "source": ["aws.cloudwatch"],
            "$or": [{"metricName": ["ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}],
        },
        CW,
        False,
    ),
    (
        {
            "source": ["aws.other"],
            "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
        },
        CW,
        False,
    ),
    (
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["ReadLatency"]},
                {"metricType": ["MetricType"], "namespace": ["AWS/Lambda"]},
                {"namespace": ["AWS/Lambda"], "metricName": ["CPUUtilization"]},
            ],
        },
        CW,
        True,
    ),
    (
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["ReadLatency"]},
                {"namespace": ["AWS/Lambda"], "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]},
            ],
        },
        raw('{"source": "aws.cloudwatch", "namespace": "AWS/Lambda", "spaceId": 1000}'),
        True,
    ),
    (
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["ReadLatency"]},
                {"namespace": ["AWS/Lambda"], "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]},
            ],
        },
        raw('{"source": "aws.cloudwatch", "namespace": "AWS/Lambda", "spaceId": 999}'),
        False,
    ),
    (
        {
            "$or": [{"metricName": ["x"]}, {"namespace": ["AWS/Lambda"]}],
            "detail": {"$or": [{"source": ["a"]}, {"detail-type": ["b"]}]},
        },
        {"namespace": "AWS/Lambda", "detail": {"detail-type": "b"}},
        True,
    ),
    (
        {
            "$or": [{"metricName": ["x"]}, {"namespace": ["AWS/Lambda"]}],
            "detail": {"$or": [{"source": ["a"]}, {"detail-type": ["b"]}]},
        },
        {"namespace": "AWS/Lambda", "detail": {"detail-type": "c"}},
        False,
    ),
    (
        {
            "detail": {
                "$or": [
                    {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                    {"d-count": [{"numeric": ["<", 10]}]},
                ]
            }
        },
        RULER,
        True,
    ),
    ({"$or": [{"a": [{"exists": False}]}, {"b": ["1"]}]}, {"b": "2"}, True),
    # an $or alternative overrides a field the enclosing object set, as AWS does
    ({"source": ["a"], "$or": [{"source": ["b"]}, {"x": ["y"]}]}, {"source": "b"}, True),
    ({"source": ["a"], "$or": [{"source": ["b"]}, {"x": ["y"]}]}, {"source": "a", "x": "y"}, True),
    ({"source": ["a"], "$or": [{"source": ["b"]}, {"x": ["y"]}]}, {"source": "a"}, False),
    # -- mixed operators in one field and complex examples -----------------------------
    ({"a": ["x", {"prefix": "pre"}, {"numeric": [">", 10]}]}, raw('{"a": 11}'), True),
    ({"a": ["x", {"prefix": "pre"}, {"numeric": [">", 10]}]}, {"a": "prefix"}, True),
    ({"a": ["x", {"prefix": "pre"}, {"numeric": [">", 10]}]}, {"a": "y"}, False),
    (
        {
            "time": [{"prefix": "2017-10-02"}],
            "detail": {
                "state": [{"anything-but": "initializing"}],
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"anything-but": [100, 200, 300]}],
                "source-ip": [{"cidr": "10.0.0.0/8"}],
            },
        },
        RULER,
        True,
    ),
    (
        {
            "time": [{"prefix": "2017-10-03"}],
            "detail": {"state": [{"anything-but": "initializing"}]},
        },
        RULER,
        False,
    ),
    (
        {
            "detail-type": ["EC2 Instance State-change Notification"],
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
            "detail": {"state": ["initializing", "running"]},
        },
        RULER,
        True,
    ),
    ({"detail": {"state": ["initializing", "running"]}}, ev(state=["stopped", "running"]), True),
    ({"a": [{"exactly": "x"}]}, {"a": "x"}, True),
    ({"a": [{"exactly": "x"}]}, {"a": "X"}, False),
    ({"a.b": ["1"]}, {"a": {"b": "1"}}, True),  # a dotted key is the nested field
    ({"a.b": ["1"]}, {"a.b": "1"}, True),
]

INVALID = [
    ("[]", "Filter is not an object"),
    ('"source"', "Filter is not an object"),
    ("{", "Filter is not valid JSON"),
    ("{}", "Empty objects are not allowed"),
    ({"detail": {}}, "Empty objects are not allowed"),
    ({"source": "aws.ec2"}, '"source" must be an object or an array'),
    ({"source": 5}, '"source" must be an object or an array'),
    ({"source": None}, '"source" must be an object or an array'),
    ({"source": []}, "Empty arrays are not allowed"),
    ({"source": [["a"]]}, "Match value must be String, number, true, false, or null"),
    ({"source": [{}]}, "Match expression name not found"),
    ({"source": [{"prefx": "a"}]}, "Unrecognized match type prefx"),
    ({"source": [{"contains": "a"}]}, "Unrecognized match type contains"),
    ({"source": [{"prefix": 5}]}, "prefix match pattern must be a string"),
    ({"source": [{"prefix": "a", "suffix": "b"}]}, "Only one key allowed in match expression"),
    ({"source": [{"prefix": {}}]}, "Prefix expression name not found"),
    ({"source": [{"prefix": {"wildcard": "a"}}]}, "Unsupported prefix pattern: wildcard"),
    (
        {"source": [{"prefix": {"equals-ignore-case": 1}}]},
        "equals-ignore-case match pattern must be a string",
    ),
    ({"source": [{"suffix": None}]}, "suffix match pattern must be a string"),
    ({"source": [{"suffix": {"prefix": "a"}}]}, "Unsupported suffix pattern: prefix"),
    (
        {"source": [{"equals-ignore-case": ["a"]}]},
        "equals-ignore-case match pattern must be a string",
    ),
    ({"source": [{"exactly": 1}]}, "exact match pattern must be a string"),
    ({"source": [{"wildcard": 1}]}, "wildcard match pattern must be a string"),
    ({"source": [{"wildcard": "a**b"}]}, "Consecutive wildcard characters at pos 2"),
    ({"source": [{"wildcard": "**"}]}, "Consecutive wildcard characters at pos 1"),
    ({"source": [{"wildcard": "a\\b"}]}, "Invalid escape character at pos 1"),
    ({"source": [{"wildcard": "ab\\"}]}, "Invalid escape character at pos 2"),
    ({"source": [{"wildcard": "é\\x"}]}, "Invalid escape character at pos 2"),  # UTF-8 bytes
    ({"a": [{"exists": "true"}]}, "exists match pattern must be either true or false."),
    ({"a": [{"exists": 1}]}, "exists match pattern must be either true or false."),
    ({"a": [{"exists": True, "prefix": "a"}]}, "Only one key allowed in match expression"),
    ({"a": [{"cidr": 10}]}, "prefix match pattern must be a string"),
    ({"a": [{"cidr": "10.0.0.0"}]}, "Malformed CIDR, one '/' required"),
    ({"a": [{"cidr": "10.0.0.0/x"}]}, "Malformed CIDR, mask bits must be an integer"),
    ({"a": [{"cidr": "10.0.0.0/-1"}]}, "Malformed CIDR, mask bits must not be negative"),
    ({"a": [{"cidr": "10.0.0.0/32"}]}, "IPv4 mask bits must be < 32"),
    ({"a": [{"cidr": "2001:db8::/128"}]}, "IPv6 mask bits must be < 128"),
    ({"a": [{"cidr": "999.0.0.0/8"}]}, "Invalid IP address: 999.0.0.0"),
    ({"a": [{"cidr": "example.com/8"}]}, "Nonstandard IP address: example.com"),
    ({"a": [{"numeric": 5}]}, "Value of numeric must be an array."),
    ({"a": [{"numeric": []}]}, "Invalid member in numeric match: ]"),
    ({"a": [{"numeric": [5]}]}, "Invalid member in numeric match: 5"),
    ({"a": [{"numeric": ["!=", 5]}]}, "Unrecognized numeric range operator: !="),
    ({"a": [{"numeric": ["=", "5"]}]}, "Value of equals must be numeric"),
    ({"a": [{"numeric": [">", True]}]}, "Value of > must be numeric"),
    ({"a": [{"numeric": [">="]}]}, "Value of >= must be numeric"),
    ({"a": [{"numeric": ["=", 5, "<", 6]}]}, "Too many elements in numeric expression"),
    ({"a": [{"numeric": ["<", 5, ">", 1]}]}, "Too many elements in numeric expression"),
    ({"a": [{"numeric": [">", 5, 6]}]}, "Bad value in numeric range: 6"),
    ({"a": [{"numeric": [">", 5, ">", 6]}]}, "Bad numeric range operator: >"),
    ({"a": [{"numeric": [">", 5, "<", "6"]}]}, "Value of < must be numeric"),
    ({"a": [{"numeric": [">", 5, "<", 6, "<", 7]}]}, "Too many terms in numeric range expression"),
    ({"a": [{"numeric": [">", 10, "<", 5]}]}, "Bottom must be less than top"),
    ({"a": [{"numeric": [">=", 5, "<=", 5]}]}, "Bottom must be less than top"),
    ({"a": [{"numeric": [">", 0], "x": 1}]}, "Too many elements in numeric expression"),
    (
        {"a": [{"anything-but": None}]},
        "Value of anything-but must be an array or single string/number value.",
    ),
    (
        {"a": [{"anything-but": True}]},
        "Value of anything-but must be an array or single string/number value.",
    ),
    (
        {"a": [{"anything-but": ["a", 1]}]},
        "Inside anything but list, either all values are number or string, mixed type",
    ),
    (
        {"a": [{"anything-but": []}]},
        "Inside anything but list, either all values are number or string, mixed type",
    ),
    (
        {"a": [{"anything-but": ["a", None]}]},
        "Inside anything but list, start|null|boolean is not supported.",
    ),
    (
        {"a": [{"anything-but": [True]}]},
        "Inside anything but list, start|null|boolean is not supported.",
    ),
    ({"a": [{"anything-but": {}}]}, "Anything-But expression name not found"),
    ({"a": [{"anything-but": {"numeric": [">", 1]}}]}, "Unsupported anything-but pattern: numeric"),
    ({"a": [{"anything-but": {"prefix": ""}}]}, "Null prefix/suffix not allowed"),
    ({"a": [{"anything-but": {"suffix": ["x", ""]}}]}, "Null prefix/suffix not allowed"),
    ({"a": [{"anything-but": {"prefix": 5}}]}, "prefix/suffix match pattern must be a string"),
    (
        {"a": [{"anything-but": {"prefix": None}}]},
        "Value of anything-but must be an array or single string/number value.",
    ),
    (
        {"a": [{"anything-but": {"equals-ignore-case": [1]}}]},
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
    ),
    ({"a": [{"anything-but": {"wildcard": [5]}}]}, "wildcard match pattern must be a string"),
    ({"a": [{"anything-but": {"wildcard": "x**"}}]}, "Consecutive wildcard characters at pos 2"),
    ({"a": [{"anything-but": "x", "prefix": "y"}]}, "Too many elements in numeric expression"),
    ({"$or": {"a": ["b"]}}, "It must be an Array followed with $or."),
    ({"$or": [{"a": ["b"]}]}, "There must have at least 2 Objects in $or relationship."),
    ({"$or": []}, "There must have at least 2 Objects in $or relationship."),
    ({"$or": [{"a": ["b"]}, "c"]}, "Only JSON object is allowed in array of $or relationship."),
    ({"$or": [{"a": ["b"]}, {}]}, "Empty objects are not allowed"),
    (
        {"$or": [{"numeric": ["b"]}, {"c": ["d"]}]},
        "numeric is Ruler reserved fieldName which cannot be used inside $or.",
    ),
    (
        {"$or": [{"x": {"prefix": ["b"]}}, {"c": ["d"]}]},
        "prefix is Ruler reserved fieldName which cannot be used inside $or.",
    ),
]


def _ids(rows):
    return [f"{index}:{json.dumps(row[0])[:50]}" for index, row in enumerate(rows)]


@pytest.mark.parametrize(("pattern", "event", "expected"), MATCHES, ids=_ids(MATCHES))
def test_pattern_matches(pattern, event, expected):
    compiled = compile_pattern(pattern)
    assert compiled.matches(event) is expected
    # the same pattern written as JSON text behaves the same
    assert compile_pattern(json.dumps(pattern)).matches(event) is expected


@pytest.mark.parametrize(("pattern", "reason"), INVALID, ids=_ids(INVALID))
def test_invalid_patterns(pattern, reason):
    with pytest.raises(PatternError) as raised:
        compile_pattern(pattern)
    assert reason in raised.value.reason
    assert str(raised.value).startswith("Event pattern is not valid. Reason: ")


def test_table_is_large_enough():
    assert len(MATCHES) + len(INVALID) >= 150
    assert sum(1 for *_, expected in MATCHES if expected) >= 50
    assert sum(1 for *_, expected in MATCHES if not expected) >= 50


def test_events_as_dicts_and_as_text_agree_on_plain_values():
    pattern = compile_pattern({"detail": {"n": [{"numeric": [">", 1]}], "s": ["x"]}})
    event = {"detail": {"n": 2, "s": "x"}}
    assert pattern.matches(event)
    assert pattern.matches(json.dumps(event))
    assert pattern.matches(json.dumps(event).encode())


def test_duplicate_keys_in_text_follow_written_order():
    # a later duplicate overrides the earlier one, as AWS's parser does
    pattern = compile_pattern('{"a": ["1"], "a": ["2"]}')
    assert pattern.matches({"a": "2"})
    assert not pattern.matches({"a": "1"})


def test_or_alternatives_copy_a_bounded_number_of_fields():
    # each $or alternative copies the fields around it: thousands of keys and ten $or in
    # a 256 KB SNS policy took 5 s to expand; the copies are bounded and refused instead
    keys = ", ".join(f'"k{i}": ["a"]' for i in range(8000))
    ors = ", ".join(f'"$or": [{{"x{i}": ["1"]}}, {{"y{i}": ["1"]}}]' for i in range(10))
    for text in (f"{{{keys}, {ors}}}", f"{{{ors}, {keys}}}"):
        with pytest.raises(PatternError, match="too many \\$or combinations"):
            compile_pattern(text)
    # a rule of 60 fields under ten binary $or (1,024 combinations) is still fine
    fields = ", ".join(f'"f{i}": ["a"]' for i in range(60))
    assert compile_pattern(f"{{{fields}, {ors}}}").matches(
        {**{f"f{i}": "a" for i in range(60)}, **{f"x{i}": "1" for i in range(10)}}
    )
