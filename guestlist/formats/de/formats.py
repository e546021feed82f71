# "9. Dez 2026" and "9. Dez 2026, 14:53": the short and long names mean the same style.
DATE_FORMAT = "j. M Y"
DATETIME_FORMAT = "j. M Y, H:i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
MONTH_DAY_FORMAT = "j. M"
TIME_FORMAT = "H:i"
