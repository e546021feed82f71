from guestlist.cli import main

raise SystemExit(main())
