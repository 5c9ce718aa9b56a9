import CityStewardApp
import Foundation

// Entry point only: everything else lives in CityStewardApp.
exit(await CityStewardMain.run())
