"""Modal screens: tool approval and the sessions picker."""
