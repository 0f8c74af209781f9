"""The one yes/no dialog: the safe button has the focus, ←/→ move between the buttons,
Escape and Enter on the safe button answer False, the confirm button answers True."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Button, Static

from screens.confirm import ConfirmDialog


class Host(App[None]):
    def __init__(self, dialog: ConfirmDialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.answers: list[bool] = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.answers.append)


def dialog() -> ConfirmDialog:
    return ConfirmDialog(
        "Withdraw copies", "Withdraw [丛书] 红楼梦?", "Withdraw", details=["HX01B1 on the shelf", "HX01B2 [damaged]"]
    )


async def test_it_shows_the_title_the_details_the_question_and_both_buttons():
    app = Host(dialog())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        texts = [str(s.render()) for s in app.screen.query(Static) if not isinstance(s, Button)]
        assert texts == ["Withdraw copies", "• HX01B1 on the shelf", "• HX01B2 [damaged]", "Withdraw [丛书] 红楼梦?"]
        assert [str(b.label) for b in app.screen.query(Button)] == ["Withdraw", "Cancel"]


@pytest.mark.parametrize(
    ("keys", "answer"),
    [
        (["enter"], False),  # a stray Enter changes nothing
        (["escape"], False),
        (["left", "enter"], True),
        (["left", "escape"], False),
        (["left", "right", "enter"], False),
        (["right", "enter"], False),  # already on the last button
        (["left", "left", "enter"], True),  # already on the first
    ],
)
async def test_the_safe_button_has_the_focus_and_the_arrows_move(keys, answer):
    app = Host(dialog())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.screen.focused.id == "cancel"
        await pilot.press(*keys)
        await pilot.pause()
        assert app.answers == [answer]


async def test_the_safe_button_can_be_named_for_the_question():
    app = Host(ConfirmDialog("Cancel a registration", "Cancel 王小明's registration?", "Cancel registration", cancel="Back"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.screen.focused.id == "cancel" and str(app.screen.focused.label) == "Back"
        await pilot.click("#confirm")
        await pilot.pause()
        assert app.answers == [True]
