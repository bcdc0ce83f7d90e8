//! Keyboard shortcuts as pure data: which key press means which command, so the mapping
//! is unit-tested natively and documented in one place (see `client/DOM.md`).

/// The parts of a `KeyboardEvent` the shortcuts look at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyPress<'a> {
    /// `KeyboardEvent.key`, e.g. "ArrowUp", "a", "å".
    pub key: &'a str,
    /// `KeyboardEvent.code`, e.g. "KeyA" (layout-independent).
    pub code: &'a str,
    /// Alt / Option held.
    pub alt: bool,
    /// Control held.
    pub ctrl: bool,
    /// Shift held.
    pub shift: bool,
    /// Meta / Command held.
    pub meta: bool,
}

impl KeyPress<'_> {
    /// Runs `f` on the parts of a browser keyboard event the shortcuts look at.
    pub fn of<R>(ev: &web_sys::KeyboardEvent, f: impl FnOnce(&KeyPress<'_>) -> R) -> R {
        let (key, code) = (ev.key(), ev.code());
        f(&KeyPress {
            key: &key,
            code: &code,
            alt: ev.alt_key(),
            ctrl: ev.ctrl_key(),
            shift: ev.shift_key(),
            meta: ev.meta_key(),
        })
    }
}

/// Commands on a focused outline entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutlineCommand {
    /// Alt+ArrowUp: swap with the previous sibling.
    MoveUp,
    /// Alt+ArrowDown: swap with the next sibling.
    MoveDown,
    /// Alt+ArrowRight: become the last sub-item of the previous sibling.
    Indent,
    /// Alt+ArrowLeft: move to just after the parent.
    Outdent,
}

/// Commands in a block's textarea.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockCommand {
    /// Ctrl+Enter (or Cmd+Enter): add a paragraph after this block.
    AddBlockAfter,
    /// Alt+A: flag an action raised at this block.
    FlagAction,
}

/// The outline command for `k`, if any.
pub fn outline_command(k: &KeyPress<'_>) -> Option<OutlineCommand> {
    if !k.alt || k.ctrl || k.meta || k.shift {
        return None;
    }
    match k.key {
        "ArrowUp" => Some(OutlineCommand::MoveUp),
        "ArrowDown" => Some(OutlineCommand::MoveDown),
        "ArrowRight" => Some(OutlineCommand::Indent),
        "ArrowLeft" => Some(OutlineCommand::Outdent),
        _ => None,
    }
}

/// The block command for `k`, if any.
pub fn block_command(k: &KeyPress<'_>) -> Option<BlockCommand> {
    if k.key == "Enter" && (k.ctrl || k.meta) && !k.alt && !k.shift {
        return Some(BlockCommand::AddBlockAfter);
    }
    // With Alt, macOS layouts report "å" as the key: the physical key decides then.
    let is_a = k.key.eq_ignore_ascii_case("a") || k.code == "KeyA";
    if k.alt && is_a && !k.ctrl && !k.meta {
        return Some(BlockCommand::FlagAction);
    }
    None
}

/// Undo and redo of this page's own changes ([`crate::store::Store::undo`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryCommand {
    /// Ctrl+Z (Cmd+Z).
    Undo,
    /// Ctrl+Shift+Z (Cmd+Shift+Z) or Ctrl+Y.
    Redo,
}

/// The history command for `k`, if any. The letter decides on Latin layouts (AZERTY's Z
/// is Z wherever it sits); on others (Cyrillic, Greek) the physical key does.
pub fn history_command(k: &KeyPress<'_>) -> Option<HistoryCommand> {
    let command = k.ctrl || k.meta;
    if !command || k.alt {
        return None;
    }
    let latin = k.key.len() == 1 && k.key.bytes().all(|b| b.is_ascii_alphabetic());
    let is = |letter: &str, code: &str| {
        if latin {
            k.key.eq_ignore_ascii_case(letter)
        } else {
            k.code == code
        }
    };
    if is("z", "KeyZ") {
        return Some(if k.shift {
            HistoryCommand::Redo
        } else {
            HistoryCommand::Undo
        });
    }
    if is("y", "KeyY") && k.ctrl && !k.shift {
        return Some(HistoryCommand::Redo);
    }
    None
}

/// The history command a `beforeinput` event's `inputType` asks for (the browser's own
/// undo, from its menu or a platform gesture).
pub fn history_input(input_type: &str) -> Option<HistoryCommand> {
    match input_type {
        "historyUndo" => Some(HistoryCommand::Undo),
        "historyRedo" => Some(HistoryCommand::Redo),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(key: &'static str, alt: bool, ctrl: bool) -> KeyPress<'static> {
        KeyPress {
            key,
            alt,
            ctrl,
            ..KeyPress::default()
        }
    }

    #[test]
    fn outline_needs_alt_and_an_arrow() {
        assert_eq!(
            outline_command(&press("ArrowUp", true, false)),
            Some(OutlineCommand::MoveUp)
        );
        assert_eq!(
            outline_command(&press("ArrowDown", true, false)),
            Some(OutlineCommand::MoveDown)
        );
        assert_eq!(
            outline_command(&press("ArrowRight", true, false)),
            Some(OutlineCommand::Indent)
        );
        assert_eq!(
            outline_command(&press("ArrowLeft", true, false)),
            Some(OutlineCommand::Outdent)
        );
        assert_eq!(outline_command(&press("ArrowUp", false, false)), None);
        assert_eq!(outline_command(&press("ArrowUp", true, true)), None);
        assert_eq!(outline_command(&press("x", true, false)), None);
    }

    #[test]
    fn block_shortcuts() {
        assert_eq!(
            block_command(&press("Enter", false, true)),
            Some(BlockCommand::AddBlockAfter)
        );
        let cmd_enter = KeyPress {
            key: "Enter",
            meta: true,
            ..KeyPress::default()
        };
        assert_eq!(block_command(&cmd_enter), Some(BlockCommand::AddBlockAfter));
        assert_eq!(block_command(&press("Enter", false, false)), None);
        assert_eq!(
            block_command(&press("a", true, false)),
            Some(BlockCommand::FlagAction)
        );
        assert_eq!(
            block_command(&press("A", true, false)),
            Some(BlockCommand::FlagAction)
        );
        let mac = KeyPress {
            key: "å",
            code: "KeyA",
            alt: true,
            ..KeyPress::default()
        };
        assert_eq!(block_command(&mac), Some(BlockCommand::FlagAction));
        assert_eq!(block_command(&press("a", false, false)), None);
        assert_eq!(block_command(&press("a", true, true)), None);
    }

    #[test]
    fn undo_and_redo_shortcuts() {
        let key = |key: &'static str, code: &'static str, ctrl, meta, shift, alt| KeyPress {
            key,
            code,
            ctrl,
            meta,
            shift,
            alt,
        };
        use HistoryCommand::*;
        assert_eq!(
            history_command(&key("z", "KeyZ", true, false, false, false)),
            Some(Undo)
        );
        assert_eq!(
            history_command(&key("z", "KeyZ", false, true, false, false)),
            Some(Undo)
        );
        assert_eq!(
            history_command(&key("Z", "KeyZ", true, false, true, false)),
            Some(Redo)
        );
        assert_eq!(
            history_command(&key("Z", "KeyZ", false, true, true, false)),
            Some(Redo)
        );
        assert_eq!(
            history_command(&key("y", "KeyY", true, false, false, false)),
            Some(Redo)
        );
        assert_eq!(
            history_command(&key("z", "KeyW", true, false, false, false)),
            Some(Undo),
            "AZERTY: the letter decides"
        );
        assert_eq!(
            history_command(&key("w", "KeyZ", true, false, false, false)),
            None
        );
        assert_eq!(
            history_command(&key("я", "KeyZ", true, false, false, false)),
            Some(Undo),
            "Cyrillic: the physical key decides"
        );
        assert_eq!(
            history_command(&key("z", "KeyZ", false, false, false, false)),
            None
        );
        assert_eq!(
            history_command(&key("z", "KeyZ", true, false, false, true)),
            None
        );
        assert_eq!(
            history_command(&key("y", "KeyY", false, true, false, false)),
            None
        );
        assert_eq!(
            history_command(&key("x", "KeyX", true, false, false, false)),
            None
        );
    }

    #[test]
    fn the_browser_s_own_undo_is_recognised() {
        assert_eq!(history_input("historyUndo"), Some(HistoryCommand::Undo));
        assert_eq!(history_input("historyRedo"), Some(HistoryCommand::Redo));
        assert_eq!(history_input("insertText"), None);
    }
}
