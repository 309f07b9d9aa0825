"""entropi.agent: the turn loop, tools, permissions, context and sessions."""
