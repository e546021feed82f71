"""One date style per language (``FORMAT_MODULE_PATH``): every page, the dashboard, the member
area and the public pages, writes a date and a time the same way, whichever of Django's format
names a template asks for. 24-hour times also keep a sentence from ending in "p.m.."."""
