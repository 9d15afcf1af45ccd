"""The console's inline SVG: what the charts and graphs draw from their data."""

from __future__ import annotations

import re

from serverlite.console import svg


def test_line_chart_scales_points_into_the_box() -> None:
    drawn = svg.line_chart([(0.0, 0.0), (60.0, 10.0), (120.0, 5.0)], width=200, height=100)
    points = re.search(r'points="([^"]+)"', drawn)
    assert points is not None
    xy = [tuple(map(float, p.split(","))) for p in points.group(1).split()]
    assert xy == [(14.0, 86.0), (100.0, 14.0), (186.0, 50.0)]
    assert ">10<" in drawn and ">0<" in drawn  # the range's labels


def test_service_map_places_children_right_of_parents_and_labels_edges() -> None:
    services = [
        {
            "ReferenceId": 0,
            "Name": "api",
            "Type": "AWS::ApiGateway::Stage",
            "Root": True,
            "Edges": [
                {
                    "ReferenceId": 1,
                    "SummaryStatistics": {
                        "TotalCount": 4,
                        "TotalResponseTime": 0.4,
                        "ErrorStatistics": {"TotalCount": 1},
                        "FaultStatistics": {"TotalCount": 0},
                    },
                }
            ],
            "SummaryStatistics": {"TotalCount": 4, "TotalResponseTime": 0.4},
        },
        {
            "ReferenceId": 1,
            "Name": "fn <x>",
            "Type": "AWS::Lambda",
            "Edges": [],
            "SummaryStatistics": {"TotalCount": 4, "TotalResponseTime": 0.2},
        },
    ]
    drawn = svg.service_map(services)
    xs = [int(x) for x in re.findall(r'<rect x="(\d+)"', drawn)]
    assert xs[0] < xs[1]
    assert "4 calls · 25% err · 100.0 ms" in drawn
    assert "fn &lt;x&gt;" in drawn  # names are escaped


def test_bar_chart_bars_are_proportional_to_values() -> None:
    drawn = svg.bar_chart([("big", 4.0), ("small", 1.0), ("idle", 0.0)], "GB-s", width=410)
    widths = {
        name: float(width)
        for name, width in re.findall(r'data-name="([^"]+)".*?<rect [^>]*width="([^"]+)"', drawn)
    }
    # 410 wide: 160 for the label, 90 for the value: the largest bar is 160 long
    assert widths == {"big": 160.0, "small": 40.0, "idle": 0.0}
    assert ">4 GB-s<" in drawn and ">1 GB-s<" in drawn
