"""/progress: the figures (one pure function), their words, the chart, the PDF, the command."""
