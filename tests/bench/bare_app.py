"""The yardstick for start-up: a bare Textual app that shows one label."""

from textual.app import App, ComposeResult
from textual.widgets import Label


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Label("Conversations")


if __name__ == "__main__":
    BareApp().run()
