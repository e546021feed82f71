# "Dec 9, 2026" and "Dec 9, 2026, 14:53": the short and long names mean the same style.
DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "M j, Y, H:i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
MONTH_DAY_FORMAT = "M j"
TIME_FORMAT = "H:i"
