"""The City Hall counter (窓口): the permanent offices' services, pickup reservations (交付予約), queue tickets (整理券)
and waiting times. It uses booking's capacity engine; booking does not know it."""
