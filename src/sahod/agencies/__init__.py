"""The agencies behind the providers: their contribution schedules and the incomes those
schedules let us estimate. Agency facts, shared by the connectors and the sandbox."""
