"""Security tests (issue 9 §6): production configuration, hostile input, and every public event
handler called the way a hostile client would call it."""
