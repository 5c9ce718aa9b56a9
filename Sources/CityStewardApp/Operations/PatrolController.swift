import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Patrol routes and check-ins in the API (`/api/v1/patrol-routes`, `/api/v1/checkins`) and the console
/// (`/patrol-routes`, `/patrol-routes/{id}`, the printable codes at `/patrol-routes/{id}/codes`, and `/k/{code}`, the
/// page a checkpoint's QR code opens on the patroller's phone), on `PatrolService`.
struct PatrolController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1")
        api.get("patrol-routes", use: listAPI)
        api.post("patrol-routes", use: createAPI)
        api.get("patrol-routes", ":id", use: showAPI)
        api.on(.POST, "checkins", body: .collect(maxSize: "12mb"), use: checkInAPI)

        routes.get("patrol-routes", use: listPage)
        routes.post("patrol-routes", use: createForm)
        routes.get("patrol-routes", ":id", use: routePage)
        routes.get("patrol-routes", ":id", "codes", use: codesPage)
        routes.get("k", ":code", use: scanPage)
        routes.on(.POST, "k", ":code", body: .collect(maxSize: "12mb"), use: scanForm)
        routes.get("checkins", ":id", "photo", use: photo)
    }

    typealias Names = OperationsAPIController.Names

    // MARK: Views

    struct CheckpointView: Content {
        var id: UUID
        var code: String
        var name: String
        var lat: Double
        var long: Double
        var radius: Int
        var order: Int
        var dueWithinMinutes: Int?
        var photoRequired: Bool

        init(_ c: Checkpoint) {
            (id, code, name, lat, long, radius, order) = (c.id, c.code, c.name, c.position.lat, c.position.long, c.radiusMetres, c.order)
            (dueWithinMinutes, photoRequired) = (c.dueWithinMinutes, c.photoRequired)
        }
    }

    struct RouteView: Content {
        var id: UUID
        var name: String
        var area: OperationsAPIController.AreaRef
        var steward: String
        var checkpoints: [CheckpointView]

        init(_ r: PatrolRoute, _ n: Names) {
            (id, name, area) = (r.id, r.name, n.area(r.areaId))
            steward = n.orgs[r.orgId]?.code ?? ""
            checkpoints = r.checkpoints.map(CheckpointView.init)
        }
    }

    struct ProgressView: Content {
        var visited: Int
        var total: Int
        var percent: Double
        var complete: Bool
        var flagged: Int
        var missing: [String]

    }

    struct RoundView: Content {
        var task: OperationsAPIController.TaskView
        var progress: ProgressView
    }

    struct CheckinView: Content {
        var id: UUID
        var checkpoint: String
        var checkpointName: String
        var by: OperationsAPIController.PersonRef
        var serverTime: Date
        var deviceTime: Date?
        var lat: Double?
        var long: Double?
        var accuracy: Double?
        var flags: [String]
        var flagLabels: [String]
        var round: UUID?
        /// Where the photo taken with the scan is (when there is one).
        var photo: String?

    }

    struct RouteDetail: Content {
        var route: RouteView
        /// Today's rounds of the route, with how far each got.
        var rounds: [RoundView]
        /// The latest check-ins, newest first (up to 50).
        var recent: [CheckinView]
    }

    struct ScanAnswer: Content {
        var checkin: CheckinView
        var route: UUID
        var round: RoundView?

        /// The answer as `JSONEncoder` writes it, written field by field: every scan answers with one, and the encoder
        /// was the largest part of a scan's own work in the profile (`PatrolTests` compares the two).
        func json() -> [UInt8] {
            var o = JSONObjectWriter(capacity: 1024)
            o.addObject("checkin") { checkin.write(to: &$0) }
            o.add("route", route.text(uppercase: true))
            if let round {
                o.addObject("round") { r in
                    r.addObject("task") { round.task.write(to: &$0) }
                    r.addObject("progress") { round.progress.write(to: &$0) }
                }
            }
            return o.finishBytes()
        }
    }

    static func detail(_ req: Request, _ route: PatrolRoute) async throws -> RouteDetail {
        let names = try await Names.load(req)
        let rounds = try await WorkPlanStore(db: req.db).rounds(route: route.id, on: LocalDate.beijing(req.now))
        let checkins = try await PatrolStore(db: req.db).checkins(tasks: rounds.map(\.id))
        let service = PatrolService(req: req)
        return RouteDetail(route: RouteView(route, names),
                           rounds: rounds.map { RoundView(task: .init($0, names, now: req.now), progress: ProgressView(service.progress(route, checkins[$0.id] ?? []))) },
                           recent: try await PatrolStore(db: req.db).recent(route: route.id).map { CheckinView($0, route, names) })
    }

    // MARK: API

    struct CheckpointBody: Content {
        var name: String?
        var lat: Double?
        var long: Double?
        var radius: Int?
        var dueWithinMinutes: Int?
        var photoRequired: Bool?

        var input: CheckpointInput {
            CheckpointInput(name: name ?? "", lat: lat.map { String($0) } ?? "", long: long.map { String($0) } ?? "", radius: radius.map(String.init) ?? "",
                            dueWithinMinutes: dueWithinMinutes.map(String.init) ?? "", photoRequired: photoRequired ?? false)
        }
    }

    struct RouteBody: Content {
        var name: String?
        var area: String?
        var checkpoints: [CheckpointBody]?
    }

    @Sendable func listAPI(req: Request) async throws -> [RouteView] {
        let routes = try await PatrolService(req: req).routes()
        let names = try await Names.load(req)
        return routes.map { RouteView($0, names) }
    }

    @Sendable func createAPI(req: Request) async throws -> Response {
        let b = try req.content.decode(RouteBody.self)
        let made = try await PatrolService(req: req).createRoute(name: b.name ?? "", area: b.area ?? "", checkpoints: (b.checkpoints ?? []).map(\.input))
        return try await Self.detail(req, made).encodeResponse(status: .created, for: req)
    }

    @Sendable func showAPI(req: Request) async throws -> RouteDetail {
        try await Self.detail(req, try await PatrolService(req: req).route(req.parameters.get("id") ?? ""))
    }

    struct CheckinBody: Content {
        /// The checkpoint's code, as its QR code carries it.
        var checkpoint: String
        var lat: Double?
        var long: Double?
        var accuracy: Double?
        /// ISO 8601 with its offset; empty: not given.
        var deviceTime: String?
        /// A photo of the spot, base64 (JPEG, PNG or WebP), when the checkpoint asks for one.
        var photo: String?
    }

    static func report(lat: Double?, long: Double?, accuracy: Double?, deviceTime: Date?) throws -> CheckinReport {
        var position: GeoPoint?
        if let lat, let long {
            let p = GeoPoint(lat: lat, long: long)
            guard p.isValidWGS84 else { throw DomainError.invalid("lat", zh: "纬度、经度应为 WGS84 数值", en: "latitude and longitude are WGS84 numbers") }
            position = p
        } else if lat != nil || long != nil {
            throw DomainError.refused(lat == nil ? "lat" : "long", zh: "纬度和经度须同时提供", en: "give both latitude and longitude")
        }
        if let accuracy, !(accuracy >= 0 && accuracy <= 100_000) {
            throw DomainError.invalid("accuracy", zh: "定位精度为 0~100000 米", en: "the accuracy is 0 to 100,000 metres")
        }
        return CheckinReport(position: position, accuracy: accuracy, deviceTime: deviceTime)
    }

    static func answer(_ req: Request, _ scan: PatrolService.Scan) async throws -> ScanAnswer {
        // Names only of whom the answer names (the district's people and teams were most of a scan's reads).
        let people = Set([scan.checkin.userId] + [scan.round?.userId, scan.round?.doneBy].compactMap { $0 })
        let names = try await Names.load(req, people: people, teams: Set([scan.round?.teamId].compactMap { $0 }))
        return ScanAnswer(checkin: CheckinView(scan.checkin, scan.route, names), route: scan.route.id,
                          round: scan.round.map { RoundView(task: .init($0, names, now: req.now), progress: ProgressView(scan.progress!)) })
    }

    /// A scan: recorded (201) with its flags, or, sent again with the same `Idempotency-Key`, the one stored (200).
    @Sendable func checkInAPI(req: Request) async throws -> Response {
        let b = try req.content.decode(CheckinBody.self)
        let key = req.headers.first(name: "Idempotency-Key").flatMap { $0.isEmpty ? nil : $0 }
        if let key, key.count > 100 { throw DomainError.invalid("Idempotency-Key", zh: "Idempotency-Key 不超过 100 个字符", en: "Idempotency-Key is at most 100 characters") }
        var device: Date?
        if let text = b.deviceTime, !text.isEmpty {
            guard let date = Open311Projection.parseDatetime(text) else {
                throw DomainError.invalid("deviceTime", zh: "deviceTime 应为带时区的 ISO 8601 时间", en: "deviceTime is an ISO 8601 time with its offset")
            }
            device = date
        }
        var photo: Data?
        if let text = b.photo, !text.isEmpty {
            guard let data = Data(base64Encoded: text) else { throw DomainError.refused("photo", zh: "照片应为 base64", en: "the photo is base64") }
            photo = data
        }
        let scan = try await PatrolService(req: req).checkIn(code: b.checkpoint, report: try Self.report(lat: b.lat, long: b.long, accuracy: b.accuracy, deviceTime: device),
                                                             idempotencyKey: key, photo: photo)
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: scan.created ? .created : .ok, headers: headers, body: .init(buffer: ByteBuffer(bytes: try await Self.answer(req, scan).json())))
    }

    // MARK: Console

    struct RouteForm: Content {
        var name: String?
        var area: String?
        /// One checkpoint a line: name, latitude, longitude[, radius in metres[, minutes after the round opens]].
        var checkpoints: String?

        var inputs: [CheckpointInput] {
            (checkpoints ?? "").split(whereSeparator: \.isNewline).map { line in
                let parts = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                func part(_ i: Int) -> String { i < parts.count ? parts[i] : "" }
                return CheckpointInput(name: part(0), lat: part(1), long: part(2), radius: part(3), dueWithinMinutes: part(4))
            }.filter { !$0.name.isEmpty || !$0.lat.isEmpty }
        }
    }

    struct ListPage: Encodable {
        var page: PageChrome
        var routes: [RouteView]
        var canPlan: Bool
        var form: RouteForm
        var areas: [Choice]
        var errors: [String: String]
    }

    @Sendable func listPage(req: Request) async throws -> Response {
        try await listPage(req, form: RouteForm(), errors: [:])
    }

    func listPage(_ req: Request, form: RouteForm, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let routes = try await PatrolService(req: req).routes()
        let names = try await Names.load(req)
        let plannable = OperationsAccess.mayPlanAny(actor) ? try await OperationsService(req: req).plannableAreas(actor) : [:]
        let areas = plannable.values.filter { $0.area.kind == .village }.sorted { $0.area.code < $1.area.code }
            .map { Choice(value: $0.area.code, label: "\($0.area.displayName(req.language))（\($0.area.code)）", selected: $0.area.code == form.area) }
        let page = ListPage(page: PageChrome(request: req, title: req.language == .en ? "Patrol routes" : "巡更路线"), routes: routes.map { RouteView($0, names) },
                            canPlan: !areas.isEmpty, form: form, areas: areas, errors: errors)
        let response = try await req.page("patrol-routes", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// A refused checkpoint line is named by its line in the form's one message.
    @Sendable func createForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(RouteForm.self)
        do {
            let made = try await PatrolService(req: req).createRoute(name: form.name ?? "", area: form.area ?? "", checkpoints: form.inputs)
            return req.redirect(to: "/patrol-routes/\(made.id.uuidString.lowercased())")
        } catch let problems as FieldProblems {
            var errors: [String: String] = [:]
            for p in problems.problems {
                let field = p.field.hasPrefix("checkpoints") ? "checkpoints" : p.field
                errors[field] = [errors[field], p.reason.text(req.language)].compactMap { $0 }.joined(separator: req.language == .en ? "; " : "；")
            }
            return try await listPage(req, form: form, errors: errors, status: .unprocessableEntity)
        }
    }

    struct RoutePage: Encodable {
        var page: PageChrome
        var detail: RouteDetail
    }

    @Sendable func routePage(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let route = try await PatrolService(req: req).route(req.parameters.get("id") ?? "")
        let response = try await req.page("patrol-route", RoutePage(page: PageChrome(request: req, title: route.name), detail: try await Self.detail(req, route)))
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    struct CodeCard: Encodable {
        var order: Int
        var name: String
        var code: String
        var url: String
        var svg: String
    }

    struct CodesPage: Encodable {
        var page: PageChrome
        var route: String
        var area: String
        var cards: [CodeCard]
    }

    /// The checkpoints' QR codes to print and fix at each point: each opens `/k/{code}` on the patroller's phone.
    @Sendable func codesPage(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let route = try await PatrolService(req: req).route(req.parameters.get("id") ?? "")
        let names = try await Names.load(req)
        let base = PortalController.baseURL(req) + "/k/"
        let cards = try route.checkpoints.map { c -> CodeCard in
            let url = base + c.code
            return CodeCard(order: c.order, name: c.name, code: c.code, url: url, svg: try QRCode.encode(url).svg(moduleSize: 5, title: url))
        }
        return try await req.page("patrol-codes", CodesPage(page: PageChrome(request: req, title: route.name), route: route.name,
                                                            area: names.area(route.areaId).name, cards: cards))
    }

    struct ScanPage: Encodable {
        var page: PageChrome
        var code: String
        var checkpoint: String
        var route: String
        var order: Int
        var total: Int
        /// A fresh key for this page's form: sent twice (poor signal, a retry), the scan is stored once.
        var key: String
        var round: RoundView?
        var done: CheckinView?
        var photoRequired: Bool
    }

    @Sendable func scanPage(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let service = PatrolService(req: req)
        let found = try await service.checkpoint(code: req.parameters.get("code") ?? "")
        let names = try await Names.load(req)
        var round: RoundView?
        if let r = try await service.round(of: found.route, for: found.worker, now: req.now) {
            round = RoundView(task: .init(r, names, now: req.now), progress: ProgressView(try await service.progress(found.route, task: r.id)))
        }
        var done: CheckinView?
        if let id = try req.query.get(String?.self, at: "done").flatMap(UUID.init(uuidString:)),
           let row = try await PatrolStore(db: req.db).checkin(id), row.routeId == found.route.id, row.userId == found.worker.userID {
            done = CheckinView(row, found.route, names)
        }
        let page = ScanPage(page: PageChrome(request: req, title: found.checkpoint.name), code: found.checkpoint.code, checkpoint: found.checkpoint.name,
                            route: found.route.name, order: found.checkpoint.order, total: found.route.checkpoints.count,
                            key: UUID().uuidString.lowercased(), round: round, done: done, photoRequired: found.checkpoint.photoRequired)
        let response = try await req.page("checkpoint", page)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    struct ScanForm: Content {
        var key: String?
        var lat: String?
        var long: String?
        var accuracy: String?
        /// Milliseconds since 1970 by the phone's clock.
        var deviceTime: String?
        var photo: File?
    }

    /// The scan from the checkpoint's page: the position the page's script read (none without it: flagged, still
    /// recorded), then back to the page showing what was recorded.
    @Sendable func scanForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let f = try req.content.decode(ScanForm.self)
        func number(_ s: String?) -> Double? { s.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0.isFinite ? $0 : nil } }
        let device = number(f.deviceTime).map { Date(timeIntervalSince1970: $0 / 1000) }
        let report = try Self.report(lat: number(f.lat), long: number(f.long), accuracy: number(f.accuracy), deviceTime: device)
        let code = req.parameters.get("code") ?? ""
        let photo = f.photo.flatMap { $0.data.readableBytes > 0 ? Data(buffer: $0.data) : nil }
        let scan = try await PatrolService(req: req).checkIn(code: code, report: report, idempotencyKey: f.key.flatMap { $0.isEmpty ? nil : "form:\($0.prefix(80))" },
                                                             photo: photo)
        return req.redirect(to: "/k/\(scan.checkpoint.code)?done=\(scan.checkin.id.uuidString.lowercased())")
    }

    /// The photo taken with a check-in, for those who see its route.
    @Sendable func photo(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let notFound = DomainError.notFound(zh: "没有这张照片", en: "no such photo")
        guard let id = UUID(uuidString: req.parameters.get("id") ?? ""), let row = try await PatrolStore(db: req.db).checkin(id), let name = row.photo else { throw notFound }
        _ = try await PatrolService(req: req).route(row.routeId.uuidString)
        let parts = name.split(separator: ".").map(String.init)
        guard parts.count == 2, PhotoStorage.isValidName(parts[0]), let format = PhotoFormat.allCases.first(where: { $0.fileExtension == parts[1] }),
              let data = try await req.application.photoStorage.read(hash: parts[0], format: format) else { throw notFound }
        return CasesAPIController.photoResponse(data, format: format, cacheControl: "private, max-age=86400")
    }
}

extension PatrolController.ProgressView {
    init(_ p: RoundProgress) {
        (visited, total, percent, complete, flagged, missing) = (p.visited, p.total, p.percent, p.complete, p.flagged, p.missing)
    }

    func write(to o: inout JSONObjectWriter) {
        o.add("visited", visited)
        o.add("total", total)
        o.add("percent", percent)
        o.add("complete", complete)
        o.add("flagged", flagged)
        o.add("missing", missing)
    }
}

extension PatrolController.CheckinView {
    init(_ c: CheckinRow, _ route: PatrolRoute, _ n: OperationsAPIController.Names) {
        let point = route.checkpoints.first { $0.id == c.checkpointId }
        let set = c.flagSet.sorted()
        self.init(id: c.id, checkpoint: point?.code ?? "", checkpointName: point?.name ?? "—", by: n.person(c.userId), serverTime: c.serverTime,
                  deviceTime: c.deviceTime, lat: c.lat, long: c.long, accuracy: c.accuracy, flags: set.map(\.rawValue),
                  flagLabels: set.map { $0.label.text(n.language) }, round: c.taskId,
                  photo: c.photo == nil ? nil : "/checkins/\(c.id.uuidString.lowercased())/photo")
    }

    func write(to o: inout JSONObjectWriter) {
        o.add("id", id.text(uppercase: true))
        o.add("checkpoint", checkpoint)
        o.add("checkpointName", checkpointName)
        o.addObject("by") { $0.add("id", by.id.text(uppercase: true)); $0.add("name", by.name) }
        o.add("serverTime", UTCTime.iso(serverTime))
        o.add("deviceTime", deviceTime.map(UTCTime.iso))
        if let lat { o.add("lat", lat) }
        if let long { o.add("long", long) }
        if let accuracy { o.add("accuracy", accuracy) }
        o.add("flags", flags)
        o.add("flagLabels", flagLabels)
        o.add("round", round?.text(uppercase: true))
        o.add("photo", photo)
    }
}
