"""The county at a glance: each land-use group's share of the parcels and of the assessed value (QtCharts).

Both figures go on one chart as shares of the county total, so they share a
scale and read side by side ("Residential: 60% of parcels, 45% of value");
the totals are in the legend and the exact figures in each bar's tooltip.
"""

from __future__ import annotations


from PySide6.QtCharts import QBarCategoryAxis, QBarSet, QChart, QChartView, QHorizontalBarSeries, QValueAxis
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QCursor, QFont, QFontMetrics, QPainter, QResizeEvent
from PySide6.QtWidgets import QLabel, QStackedWidget, QToolTip, QVBoxLayout, QWidget

from ..etl.session import FolderView
from .formatting import plural
from .table_model import GUI_BUSY_TIMEOUT_MS

PARCEL_COLOUR, VALUE_COLOUR = "#4a7ab5", "#5a9e6f"
CHART_FRAME_HEIGHT = 90  # about the title, the legend and the bottom axis
TITLE = "The county by land use"


def money(value: float) -> str:
    """$1.2 billion, $350.4 million, $12,500."""
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if abs(value) >= size:
            return f"${value / size:,.1f} {word}"
    return f"${value:,.0f}"


class StatsChart(QWidget):
    """A horizontal bar chart over stats_db: per land-use group, % of parcels and % of assessed value."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view: FolderView | None = None
        self.groups: list[tuple[str, int, float]] = []
        self._series: QHorizontalBarSeries | None = None  # the chart's bars, once drawn
        self._label_height = 0
        self._names_axis: QBarCategoryAxis | None = None  # the groups' names, and their usual font
        self._names_font = QFont()
        self.view = QChartView()
        self.view.setObjectName("statsChart")
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumSize(240, 110)  # low enough for a 700-pixel-high laptop screen
        empty = QLabel("A chart of the county's parcels by land use appears here after the first sync.")
        empty.setWordWrap(True)
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._stack = QStackedWidget()
        self._stack.addWidget(empty)
        self._stack.addWidget(self.view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)

    def load(self, view: FolderView) -> None:
        """Chart the statistics of the data folder."""
        self._view = view
        self.refresh()

    def refresh(self) -> None:
        """Re-read the stats (after a commit) and redraw."""
        self.groups = self._view.land_use_groups(busy_timeout_ms=GUI_BUSY_TIMEOUT_MS) if self._view else []
        parcels = sum(n for _, n, _ in self.groups)
        value = sum(v for _, _, v in self.groups)
        if not self.groups or parcels == 0:
            self._stack.setCurrentIndex(0)
            self._series = None
            return
        old = self.view.chart()
        self.view.setChart(self._build(parcels, value))  # the view owns the new chart and lets go of the old
        if old is not None:
            old.deleteLater()
        self._stack.setCurrentIndex(1)
        self._fit_labels()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_labels()

    @property
    def labels_shown(self) -> bool:
        """Whether the bars carry their percentages (not when the chart is too short for them to be read)."""
        return self._series is not None and self._series.isLabelsVisible()

    def _fit_labels(self) -> None:
        """Show the percentages beside the bars only where a bar is as tall as their text.

        On a 700-pixel screen the bars are a few pixels high and the labels of
        neighbouring bars overlapped into a smudge; the tooltips keep the figures.
        """
        if self._series is None or not self.groups:
            return
        # The plot area is known once the chart is laid out; before that, the view less title, legend and axis.
        chart = self.view.chart()
        # On a short chart the title gives its height to the bars, so that every group keeps its name.
        roomy = self.view.height() >= len(self.groups) * 2 * self._label_height + CHART_FRAME_HEIGHT
        chart.setTitle(TITLE if roomy else "")
        # Qt drops every other group's name when they do not fit: a smaller font keeps them all.
        names_font = QFont(self._names_font)
        if not roomy:
            names_font.setPointSizeF(max(6.0, names_font.pointSizeF() - 1.5))
        if self._names_axis is not None:
            self._names_axis.setLabelsFont(names_font)
        plot = chart.plotArea().height() or self.view.height() - CHART_FRAME_HEIGHT
        self._series.setLabelsVisible(plot / (2 * len(self.groups)) >= self._label_height)

    def _build(self, parcels: int, value: float) -> QChart:
        # Qt draws the first category at the bottom: reverse, so the largest group is on top.
        groups = list(reversed(self.groups))
        count_set = QBarSet(f"% of parcels ({parcels:,})")
        value_set = QBarSet(f"% of assessed value ({money(value)})")
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1))
        for bar_set, colour in ((count_set, PARCEL_COLOUR), (value_set, VALUE_COLOUR)):
            bar_set.setColor(QColor(colour))
            bar_set.setBorderColor(QColor(colour))
            bar_set.setLabelColor(QColor("#333333"))
            bar_set.setLabelFont(small)
        for _, n, v in groups:
            count_set.append(round(100 * n / parcels, 1))
            value_set.append(round(100 * v / value, 1) if value else 0.0)
        series = QHorizontalBarSeries()
        series.append(count_set)
        series.append(value_set)
        series.setBarWidth(0.9)
        series.setLabelsFormat("@value%")
        self._series, self._label_height = series, QFontMetrics(small).height()
        series.setLabelsPosition(QHorizontalBarSeries.LabelsPosition.LabelsOutsideEnd)
        series.hovered.connect(lambda status, i, bars: self._tooltip(status, i, bars is count_set, groups))

        chart = QChart()
        chart.setTitle(TITLE)
        chart.setMargins(QMargins(2, 2, 2, 2))
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.addSeries(series)
        names = QBarCategoryAxis()
        names.append([g for g, _, _ in groups])
        chart.addAxis(names, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(names)
        shares = QValueAxis()
        top = max(max(count_set.at(i), value_set.at(i)) for i in range(count_set.count()))
        step = 10 if top <= 40 else 20
        end = min(100, (int((top + 12) / step) + 1) * step)  # room for the labels outside the bars
        shares.setRange(0, end)
        shares.setTickCount(int(end / step) + 1)
        shares.setLabelFormat("%d%%")
        chart.addAxis(shares, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(shares)
        for axis in (names, shares):
            axis.setLabelsFont(small)
            axis.setTruncateLabels(False)  # "Residential", not "..."
        self._names_axis, self._names_font = names, small
        return chart

    @staticmethod
    def _tooltip(status: bool, index: int, is_count: bool, groups: list[tuple[str, int, float]]) -> None:
        if not status or not 0 <= index < len(groups):
            QToolTip.hideText()
            return
        group, n, v = groups[index]
        QToolTip.showText(QCursor.pos(), f"{group}: {plural(n, 'parcel')}, {money(v)} assessed value")
