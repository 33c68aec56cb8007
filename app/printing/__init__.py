"""Printed records (PDF, A4, Simplified Chinese), rendered into memory with reportlab.

Plain Python, no Qt. Every function returns the PDF as ``bytes``; nothing is written to
disk here (the privacy rule: only 保存为PDF writes a file, where the user chooses).
"""
