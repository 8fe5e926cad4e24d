"""One module of check functions per lab (named after the lab's slug)."""
