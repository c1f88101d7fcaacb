"""``DataPanel``: choose a captioning dataset, build it in the background
(feature extraction with progress and Cancel; problems listed, not fatal),
and browse its images with their ground-truth captions."""
from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from engine.captioning.data import CaptionData
from engine.captioning.data.spatial import data_regions
from engine.jobs import Control, Frame, Stage

from ..tab_job import JobEnd
from .dataset_browser import DatasetBrowser, to_pixmap
from .page import SessionJob, SessionPage
from .scrolling import controls_beside
from .session import CaptioningSession
from .sources import SOURCES, Source, SourceRequest

__all__ = ["DataPanel", "describe_data"]


def describe_data(data: CaptionData) -> str:
    """One line: images and captions per split, vocabulary, features."""
    parts = [f"{name} {part.n_images} images / {part.n_captions} captions"
             for name, part in ((s, data.split(s)) for s in data.split_names) if part.n_images]
    dim = data.feature_dim
    layer = data.feature_layer or "precomputed features"
    cells = data_regions(data)
    grid = f", a {round(cells ** 0.5)}×{round(cells ** 0.5)} grid of {dim // cells}" if cells > 1 else ""
    return f"{' · '.join(parts)}\nvocabulary {len(data.idx_to_word)} words · {layer} ({dim}-d{grid})"


class DataPanel(SessionPage):
    """Signal ``image_activated(str, int)`` forwarded from the browser."""

    image_activated = Signal(str, int)

    def __init__(self, session: CaptioningSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self._pending_label = ""

        self._source_chooser()
        self._load_widgets()
        left = self._controls()
        self.browser = DatasetBrowser()
        controls_beside(self, left, self.browser, (400, 700))

        self._show_options(0)
        self.job = SessionJob(self, "Loading the dataset", status=self.stage, progress=self.progress,
                              start_button=self.load_button, stop_button=self.cancel_button, emit_interval=0.1)
        self.runner = self.job.runner
        self.load_button.clicked.connect(self.load)
        self.cancel_button.clicked.connect(self.cancel)
        self.job.connect_slots(frame=self._on_frame, ended=self._on_ended, running=self._on_running)
        self.browser.image_activated.connect(self.image_activated)

    def _source_chooser(self) -> None:
        """The source combo, one options page per source (a stack) and the chosen source's help."""
        self.source = QComboBox()
        self.pages = QStackedWidget()
        self.pages.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.sources: list[Source] = []
        for source in SOURCES:
            self.sources.append(source)
            self.source.addItem(source.label)
            self.pages.addWidget(source.make_options(self))
        self.source.currentIndexChanged.connect(self._show_options)
        self.help = QLabel(self.sources[0].help)
        self.help.setWordWrap(True)
        self.help.setObjectName("muted")
        self.source.currentIndexChanged.connect(lambda i: self.help.setText(self.sources[i].help))

    def _load_widgets(self) -> None:
        """Load and Cancel, the progress, the stage with the CNN's last image, the summary, the problems."""
        self.load_button = QPushButton("Load")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar(alignment=Qt.AlignmentFlag.AlignCenter)  # style.qss says why
        self.progress.setValue(0)
        self.stage = QLabel("")
        self.stage.setWordWrap(True)
        self.preview = QLabel()
        self.preview.setFixedSize(96, 96)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setToolTip("The last image the CNN saw")
        self.preview.setVisible(False)
        self.summary = QLabel("No dataset loaded.")
        self.summary.setWordWrap(True)
        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        self.problems_box = QGroupBox("Problems (skipped, not fatal)")
        QVBoxLayout(self.problems_box).addWidget(self.problems)
        self.problems_box.setVisible(False)

    def _controls(self) -> QWidget:
        """The left column: the Dataset box, what was loaded, the problems."""
        box = QGroupBox("Dataset")
        form = QVBoxLayout(box)
        form.addWidget(self.source)
        form.addWidget(self.help)
        form.addWidget(self.pages)
        buttons = QHBoxLayout()
        buttons.addWidget(self.load_button)
        buttons.addWidget(self.cancel_button)
        form.addLayout(buttons)
        form.addWidget(self.progress)
        row = QHBoxLayout()
        row.addWidget(self.preview)
        row.addWidget(self.stage, 1)
        form.addLayout(row)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(box)
        summary_box = QGroupBox("Loaded")
        QVBoxLayout(summary_box).addWidget(self.summary)
        lay.addWidget(summary_box)
        lay.addWidget(self.problems_box, 1)
        lay.addStretch(0)
        return left

    def _show_options(self, index: int) -> None:
        """Show the options of source ``index``; the stack takes that page's height only."""
        for k in range(self.pages.count()):
            shown = k == index
            self.pages.widget(k).setSizePolicy(QSizePolicy.Policy.Preferred if shown else QSizePolicy.Policy.Ignored,
                                               QSizePolicy.Policy.Maximum if shown else QSizePolicy.Policy.Ignored)
        self.pages.setCurrentIndex(index)
        self.pages.adjustSize()

    # -- loading -------------------------------------------------------------------
    @property
    def current_source(self) -> Source:
        return self.sources[self.source.currentIndex()]

    def load(self) -> bool:
        """Build the chosen dataset in the background."""
        return self.job.launch(self._dataset_job, needs_model=False)

    def _dataset_job(self, _params, control: Control) -> Iterator[Frame]:
        """The chosen source's dataset job (``ValueError`` for options it refuses)."""
        request: SourceRequest = self.current_source.request(self.pages.currentWidget())
        self._pending_label = request.label
        self.problems.clear()
        self.problems_box.setVisible(False)
        self.preview.clear()
        self.preview.setVisible(False)
        self.stage.setText(f"Preparing {request.label}…")
        return request.job(self.session.cnn, control)

    def cancel(self) -> None:
        self.job.stop()
        self.stage.setText("Cancelling…")

    def _on_running(self, running: bool) -> None:
        self.load_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.source.setEnabled(not running)

    def _on_frame(self, frame: Frame) -> None:
        info = frame.info if isinstance(frame.info, Stage) else Stage("")
        stage = info.name
        if stage == "cached":
            self.stage.setText("Features found in the cache: no CNN needed.")
        elif stage.startswith("features"):
            split = stage.partition(":")[2]
            text = f"CNN features{f' ({split} split)' if split else ''}: {frame.step} / {frame.total} images"
            rate = frame.metrics.get("images_per_s")
            skipped = info.skipped
            if rate:
                text += f" · {rate:.0f} images/s"
            if skipped:
                text += f" · {skipped} skipped"
            self.stage.setText(text)
        elif stage:
            self.stage.setText(stage[0].upper() + stage[1:] + ("…" if not frame.final else "."))
        if frame.image is not None:
            self.preview.setVisible(True)
            self.preview.setPixmap(to_pixmap(frame.image).scaled(
                96, 96, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))

    def _on_ended(self, end: JobEnd, data: CaptionData | None) -> None:
        """The stage line says how loading ended; a dataset replaces the previous one, else that one is kept."""
        if data is None:
            if end.stopped_early:
                self.stage.setText(f"{self.stage.text()} The previous dataset is kept.")
            return
        problems = list(data.problems)
        for p in problems:
            self.problems.addItem(str(p))
            self.problems.item(self.problems.count() - 1).setToolTip(str(p))
        self.problems_box.setVisible(bool(problems))
        self.summary.setText(f"<b>{self._pending_label}</b><br>" + describe_data(data).replace("\n", "<br>"))
        self.stage.setText(f"{self.stage.text()} Ready" + (f"; {len(problems)} problem(s) listed below." if problems else "."))
        self.browser.set_data(data)
        self.session.set_data(data, self._pending_label)
        self.ctx.show_status(f"Dataset ready: {self._pending_label}", 5000)

    def shutdown(self, msecs: int = 10000) -> None:
        if self.job.is_running:
            self.job.discard()
            self.job.wait(msecs)

