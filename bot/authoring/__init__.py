"""The clinicians' tools: conversation tests, diagrams, the editor schema, try-outs and
changed-flow detection. Used by the command line; nothing here runs in the bot."""
