"""Prediction models made on the warehouse: features at index dates, training, the card, saved models."""
