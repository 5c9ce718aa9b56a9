import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Leaf
import Vapor

/// Wires the application: the only place where live implementations are chosen.
public func configure(_ app: Application, config: AppConfig) async throws {
    app.config = config
    app.clock = config.clock
    app.logger.logLevel = config.logLevel
    let resources = try ResourceLocator.find()
    app.directory = DirectoryConfiguration(workingDirectory: resources)

    // Database.
    if case .sqliteFile(let path) = config.database {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder.isEmpty ? "." : folder, withIntermediateDirectories: true)
    }
    try DatabaseSetup.register(config.database, on: app.databases, statementTimeoutMilliseconds: config.statementTimeoutMilliseconds,
                               poolTimeoutSeconds: config.databasePoolTimeoutSeconds)
    let calendar = try WorkingCalendarData.decode(try Data(contentsOf: URL(fileURLWithPath: app.directory.resourcesDirectory + "Calendars/china-holidays.json")))
    for migration in CityStewardMigrations.all(calendar: calendar) { app.migrations.add(migration) }
    // Forty migrations are not news at every start (LOG_LEVEL=debug shows them); `migrate` prints what it applied.
    app.fluent.migrationLogLevel = .debug
    app.migrations.add(SessionRecord.migration)
    if config.database.isSQLite {
        try await DatabaseSetup.prepareSQLite(app.databases, eventLoopGroup: app.eventLoopGroup, logger: app.logger,
                                              synchronous: config.sqliteSynchronous, inMemory: config.database == .sqliteMemory)
    }
    app.logger.info("Database: \(config.database.description)")

    // Passwords: Bcrypt (cost 12 in production; the tests lower it through `bcryptCost`).
    app.passwords.use(.bcrypt(cost: config.bcryptCost))
    app.dummyPasswordHash = try await app.password.async.hash("not-a-password-\(UUID())")

    // Sessions in the database (several app instances share them), cookie HttpOnly and SameSite=Lax.
    app.sessions.use { app in ChangedOnlySessions(base: app.fluent.sessions.driver(nil)) }
    let secure = config.secureCookies
    let lifetime = config.sessionLifetime
    app.sessions.configuration = SessionsConfiguration(cookieName: "citysteward_session") { id in
                // Max-Age, not Expires: relative to the browser's own clock, so a skewed server clock cannot end a session early.
        HTTPCookies.Value(string: id.string, expires: nil, maxAge: Int(lifetime), domain: nil, path: "/",
                          isSecure: secure, isHTTPOnly: true, sameSite: .lax)
    }

    // Views and strings.
    app.views.use(.leaf)
    app.leaf.tags["t"] = TranslateTag()
    app.localizer = try Localizer.load(directory: app.directory.resourcesDirectory + "Locales")

    // Dates in JSON are ISO 8601 (UTC).
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.withoutEscapingSlashes]
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    var content = ContentConfiguration.default()
    content.use(encoder: encoder, for: .json)
    content.use(decoder: decoder, for: .json)
    ContentConfiguration.global = content

    // Services.
    app.metrics = AppMetrics(poolSize: config.database.isSQLite ? System.coreCount : System.coreCount * 4)
    app.gridLocator = GridLocator()
    // The portal's one-time codes: the configured gateway, the log under `demo`, none otherwise (no search by phone).
    app.smsGateway = config.smsURL.map { HTTPSMSGateway(url: $0, token: config.smsToken) } ?? (config.isDemo ? LogSMSGateway() : nil)
    app.credentialCache = CredentialCache()
    app.dashboardCache = DashboardCache()
    app.caseCounts = CaseCountsCache()
    let taxonomy = try TaxonomyData.decode(try Data(contentsOf: URL(fileURLWithPath: app.directory.resourcesDirectory + "Taxonomy/taxonomy.json")))
    app.caseReference = CaseReferenceCache(shipped: taxonomy, calendar: calendar, clock: config.clock)
    // Intake commits run on the SQLite writer's own thread (DESIGN §7: group commit without queueing behind requests).
    if case .sqliteFile(let path) = config.database {
        let writerLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let writer = DedicatedSQLiteWriter(path: path, synchronous: config.sqliteSynchronous, logger: app.logger, loop: writerLoop.next())
        app.intakeBatcher = CaseIntakeBatcher(writer: writer)
        app.checkinCommitter = BatchCommitter(writer: writer, write: PatrolStore.write) { thread, items in try thread.writeCheckins(items) }
        app.lifecycle.use(CloseWriter(writer: writer, loop: writerLoop))
    } else {
        app.intakeBatcher = CaseIntakeBatcher(writer: PooledBatchWriter(db: app.db))
        app.checkinCommitter = BatchCommitter(writer: PooledBatchWriter(db: app.db), write: PatrolStore.write)
    }
    app.patrolCache = PatrolCache()
    // Comments on published assessment results: three at once, then one a minute per sender.
    app.commentLimiter = PublicRateLimiter(rule: TokenBucket.Rule(perMinute: 1, burst: 3))
    // Sign-ups and check-ins for activities: six at once (a family at one phone or one home network), then three a minute.
    app.communityLimiter = PublicRateLimiter(rule: TokenBucket.Rule(perMinute: 3, burst: 6))
    app.recentCases = RecentCases()
    app.keyRing = try KeyRing(config: config)
    app.photoStorage = PhotoStorage(root: config.photoDirectory, threadPool: app.threadPool)
    if config.sweepInterval > 0 {
        app.lifecycle.use(PeriodicJob(name: "Overdue sweep", interval: config.sweepInterval) { app, holder, lease in
            try await OverdueSweeper(app: app, holder: holder).sweep(now: app.clock.now, leaseSeconds: lease)
        })
        app.lifecycle.use(PeriodicJob(name: "Gate retention", interval: config.sweepInterval) { app, holder, lease in
            try await GateRetentionJob(app: app, holder: holder).run(now: app.clock.now, leaseSeconds: lease)
        })
        // Work plans' tasks made as far ahead as needed; tasks nobody did marked missed.
        app.lifecycle.use(PeriodicJob(name: "Work tasks", interval: config.sweepInterval) { app, holder, lease in
            _ = try await TaskScheduling.round(app, holder: holder, leaseSeconds: lease)
        })
        // Contracts past their term become expired (their entrusted matters already end with the term).
        app.lifecycle.use(PeriodicJob(name: "Contract expiry", interval: config.sweepInterval) { app, _, _ in
            if try await ContractStore(db: app.db).expire(today: LocalDate.beijing(app.clock.now), at: app.clock.now) > 0 { app.caseReference.invalidate() }
        })
    }
    if config.feedPushInterval > 0 {
        app.lifecycle.use(PeriodicJob(name: "Feed push", interval: config.feedPushInterval) { app, holder, lease in
            try await FeedPusher(app: app, holder: holder).run(leaseSeconds: lease)
        })
    }
    if config.hotlinePushInterval > 0 {
        app.lifecycle.use(PeriodicJob(name: "Hotline push", interval: config.hotlinePushInterval) { app, holder, lease in
            try await HotlinePusher(app: app, holder: holder).run(leaseSeconds: lease)
        })
    }

    // Middleware, outermost first.
    var middleware = Middlewares()
    middleware.use(RequestContextMiddleware(secure: secure))
    middleware.use(StaticFilesMiddleware(files: FileMiddleware(publicDirectory: app.directory.publicDirectory)))
    if config.publicRatePerMinute > 0 {
        let perMinute = Double(config.publicRatePerMinute)
        middleware.use(PublicRateLimitMiddleware(limiter: PublicRateLimiter(rule: TokenBucket.Rule(perMinute: perMinute, burst: max(1, perMinute / 2)))))
    }
    middleware.use(app.sessions.middleware)
    middleware.use(ActorMiddleware())
    middleware.use(CSRFMiddleware())
    app.middleware = middleware

    // Limits on what a client may send.
    app.routes.defaultMaxBodySize = "2mb"

    try routes(app)
    app.allowedMethods = AllowedMethods(app.routes.all)
    for (method, path) in app.allowedMethods.shadowed() {
        app.on(HTTPMethod(rawValue: method), path) { _ -> Response in throw ShadowedRoute() }
    }
    registerCommands(app)
}

func routes(_ app: Application) throws {
    try app.register(collection: HealthController())
    try app.register(collection: OperationsAPIController())
    try app.register(collection: OperationsWebController())
    try app.register(collection: PatrolController())
    try app.register(collection: AssetsController())
    try app.register(collection: InspectionController())
    try app.register(collection: ShiftController())
    try app.register(collection: NoticesController())
    try app.register(collection: ActivitiesController())
    try app.register(collection: DeliberationsController())
    try app.register(collection: MeetingsController())
    try app.register(collection: AssessmentController())
    try app.register(collection: AssessmentWebController())
    try app.register(collection: SpotCheckController())
    try app.register(collection: DashboardController())
    try app.register(collection: PublicAssessmentController())
    try app.register(collection: NotificationsController())
    try app.register(collection: AuthController())
    try app.register(collection: AreasAPIController())
    try app.register(collection: OrgsAPIController())
    try app.register(collection: UsersAPIController())
    try app.register(collection: DirectoryWebController())
    try app.register(collection: AreasWebController())
    try app.register(collection: CasesAPIController())
    try app.register(collection: CasesWebController())
    try app.register(collection: PortalController())
    try app.register(collection: QRPlacesController())
    try app.register(collection: Open311Controller())
    try app.register(collection: AuditController())
    try app.register(collection: ResidentsController())
    try app.register(collection: DevicesController())
    try app.register(collection: FeedsController())
    try app.register(collection: ConsumersController())
    try app.register(collection: MatterCatalogController())
    try app.register(collection: AreaImportController())
    try app.register(collection: HouseholdsController())
    try app.register(collection: OwnKeysWebController())
    try app.register(collection: ContractsController())
    try app.register(collection: FinanceController())
    try app.register(collection: FeesAndSubsidiesController())
    try app.register(collection: FinanceWebController())
    try app.register(collection: HotlineController())
    app.get("openapi.json") { req async throws -> Response in
        let path = req.application.directory.resourcesDirectory + "openapi.json"
        return try await req.fileio.asyncStreamFile(at: path, mediaType: .json)
    }
}

/// Finds the folder holding `Resources/` and `Public/`: `CITYSTEWARD_RESOURCES`, the working directory, or the
/// source checkout this binary was built from (so `swift run` and `swift test` work from anywhere in the tree).
enum ResourceLocator {
    static func find() throws -> String {
        let fm = FileManager.default
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["CITYSTEWARD_RESOURCES"], !configured.isEmpty { candidates.append(configured) }
        candidates.append(fm.currentDirectoryPath)
        // Sources/CityStewardApp/Support/Configure.swift → the package root.
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        candidates.append(source)
        for candidate in candidates where fm.fileExists(atPath: (candidate as NSString).appendingPathComponent("Resources/Views/base.leaf")) {
            return candidate.hasSuffix("/") ? candidate : candidate + "/"
        }
        throw CityStewardMain.UsageError(description: "cannot find Resources/Views (looked in \(candidates.joined(separator: ", "))); set CITYSTEWARD_RESOURCES to the folder that holds Resources/ and Public/")
    }
}

/// Closes the intake's own SQLite connection and loop at shutdown.
struct CloseWriter: LifecycleHandler {
    let writer: DedicatedSQLiteWriter
    let loop: MultiThreadedEventLoopGroup
    func shutdownAsync(_ application: Application) async {
        await writer.close()
        try? await loop.shutdownGracefully()
    }
}
