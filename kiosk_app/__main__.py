from kiosk_app.main import main

raise SystemExit(main())
