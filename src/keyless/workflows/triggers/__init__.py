"""The ways runs start: the Request trigger's callback listener and the Recurrence scheduler."""
