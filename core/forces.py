"""Home Office police force codes (the first two characters of a URN) and force names.

Source: the DfT STATS19 police_force code list, corroborated by URN prefixes (domain.md 6.2).
"""

FORCE_NAMES = {
    "01": "Metropolitan Police", "03": "Cumbria", "04": "Lancashire", "05": "Merseyside",
    "06": "Greater Manchester", "07": "Cheshire", "10": "Northumbria", "11": "Durham",
    "12": "North Yorkshire", "13": "West Yorkshire", "14": "South Yorkshire", "16": "Humberside",
    "17": "Cleveland", "20": "West Midlands", "21": "Staffordshire", "22": "West Mercia",
    "23": "Warwickshire", "30": "Derbyshire", "31": "Nottinghamshire", "32": "Lincolnshire",
    "33": "Leicestershire", "34": "Northamptonshire", "35": "Cambridgeshire", "36": "Norfolk",
    "37": "Suffolk", "40": "Bedfordshire", "41": "Hertfordshire", "42": "Essex",
    "43": "Thames Valley", "44": "Hampshire", "45": "Surrey", "46": "Kent", "47": "Sussex",
    "48": "City of London", "50": "Devon & Cornwall", "52": "Avon & Somerset",
    "53": "Gloucestershire", "54": "Wiltshire", "55": "Dorset", "60": "North Wales",
    "61": "Gwent", "62": "South Wales", "63": "Dyfed-Powys",
}


def force_label(code: str) -> str:
    name = FORCE_NAMES.get(code)
    return f"{name} ({code})" if name else f"Force {code}"
