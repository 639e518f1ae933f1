"""Planner: plans, plan versions, sessions (booths), the approval workflow and the optimisation model."""
