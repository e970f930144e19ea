"""Launch and deployment: the `bot` command, the process stack, Rasa's endpoints, nginx."""
