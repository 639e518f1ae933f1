"""Booking: slots, bookings, capacity, cancellation, check-in, results and retention."""
