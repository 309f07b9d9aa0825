"""The Textual TUI: the chat people live in. It renders agent events; it never parses model output."""
