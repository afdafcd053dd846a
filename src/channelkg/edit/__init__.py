"""edit"""
