"""A Help page: rich text that scrolls when it is taller than the screen, links that open in
the browser, and a Close button (Escape closes it too)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

_WIDTH = 640  # pixels of text: a page reads as a column, not a banner
_SCREEN_SHARE = 0.8  # at most this much of the screen's height


class HelpPage(QDialog):
    def __init__(self, title: str, html: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._html = html
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(html)
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.Close)
        layout.addWidget(buttons)
        # as tall as the text needs, up to a share of the screen; beyond that it scrolls
        document = self.browser.document()
        document.setTextWidth(_WIDTH)
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        frame = 2 * self.browser.frameWidth() + 8
        height = min(int(document.size().height()) + frame,
                     int(screen.height() * _SCREEN_SHARE) - buttons.sizeHint().height() - 40)
        self.browser.setMinimumSize(min(_WIDTH + frame + 20, screen.width() - 80),
                                    max(120, height))
        self.resize(self.sizeHint())
        self.browser.setMinimumSize(200, 120)  # the user may make it smaller

    def text(self) -> str:
        """The page's HTML as given."""
        return self._html
