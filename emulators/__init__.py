"""mmsconf."""
