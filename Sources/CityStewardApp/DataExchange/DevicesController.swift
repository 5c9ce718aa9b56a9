import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Access gates and cameras: the register (`GET /api/v1/devices`) and event ingestion
/// (`POST /api/v1/device-events`, a JSON array or NDJSON of up to 10,000 events). Each device sends with its own
/// key (`devices:send`, linked to the device); a retried batch stores nothing twice; bad lines are reported by
/// index while good ones are kept; AI events above the configured confidence become cases through the intake.
/// `/devices` shows the register with each device's last event, and the data consumers with their feeds' state.
struct DevicesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("devices", use: page)
        routes.post("devices", use: registerForm)
        routes.post("devices", ":code", "retire", use: retireForm)
        routes.post("devices", ":code", "key", use: rotateForm)
        let api = routes.grouped("api", "v1")
        api.get("devices", use: devices)
        api.post("devices", use: register)
        api.post("devices", ":code", "retire", use: retire)
        api.post("devices", ":code", "key", use: rotate)
        api.on(.POST, "device-events", body: .collect(maxSize: "16mb"), use: ingest)
    }

    struct DeviceView: Content {
        var id: UUID
        var code: String
        var kind: String
        var name: String
        var vendor: String
        var status: String
        var area: String
        var lat: Double
        var long: Double
    }

    @Sendable func devices(req: Request) async throws -> [DeviceView] {
        let actor = try req.requireActor()
        guard ExchangeAccess.mayViewDevices(actor) else {
            throw DomainError.forbidden(LocalizedText(zh: "无权查看设备登记", en: "not allowed to see the device register"))
        }
        let reference = try await req.caseReference()
        let scope = ExchangeAccess.deviceScope(for: actor)
        return try await DeviceStore(db: req.db).all().compactMap { d in
            guard let area = reference.areas[d.areaId], scope.includes(area) else { return nil }
            return DeviceView(id: d.id, code: d.code, kind: d.kind, name: d.name, vendor: d.vendor, status: d.status,
                              area: area.displayName(req.language), lat: d.lat, long: d.long)
        }
    }

    struct RegisterBody: Content {
        var code: String?
        var kind: String?
        var name: String?
        var vendor: String?
        var area: String?
        var lat: String?
        var long: String?
        var keyHolder: String?

        init(code: String? = nil, kind: String? = nil, name: String? = nil, vendor: String? = nil, area: String? = nil, lat: String? = nil,
             long: String? = nil, keyHolder: String? = nil) {
            (self.code, self.kind, self.name, self.vendor, self.area, self.lat, self.long, self.keyHolder) = (code, kind, name, vendor, area, lat, long, keyHolder)
        }

        enum CodingKeys: String, CodingKey { case code, kind, name, vendor, area, lat, long, keyHolder }

        /// The form sends the position as text, the API as numbers; either is taken.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func text(_ key: CodingKeys) throws -> String? {
                if let text = try? c.decodeIfPresent(String.self, forKey: key) { return text }
                return try c.decodeIfPresent(Double.self, forKey: key).map { String($0) }
            }
            self.init(code: try text(.code), kind: try text(.kind), name: try text(.name), vendor: try text(.vendor), area: try text(.area),
                      lat: try text(.lat), long: try text(.long), keyHolder: try text(.keyHolder))
        }

        var registration: DeviceRegistration {
            DeviceRegistration(code: code ?? "", kind: kind ?? "", name: name ?? "", vendor: vendor ?? "", areaCode: area ?? "",
                               lat: lat ?? "", long: long ?? "", keyHolder: keyHolder ?? "")
        }
    }

    /// A device and the key it sends with, shown this once.
    struct Keyed: Content {
        var device: DeviceView
        var key: String
    }

    func view(_ d: DeviceRow, _ req: Request) async throws -> DeviceView {
        let area = try await req.caseReference().areas[d.areaId]
        return DeviceView(id: d.id, code: d.code, kind: d.kind, name: d.name, vendor: d.vendor, status: d.status,
                          area: area?.displayName(req.language) ?? "", lat: d.lat, long: d.long)
    }

    @Sendable func register(req: Request) async throws -> Response {
        let actor = try req.requireActor()
        let body = try req.content.decode(RegisterBody.self)
        let made = try await DeviceRegister(app: req.application, actor: actor).register(body.registration)
        return try await Keyed(device: try await view(made.device, req), key: made.key).encodeResponse(status: .created, for: req)
    }

    @Sendable func retire(req: Request) async throws -> DeviceView {
        let actor = try req.requireActor()
        return try await view(try await DeviceRegister(app: req.application, actor: actor).retire(code: req.parameters.get("code") ?? ""), req)
    }

    @Sendable func rotate(req: Request) async throws -> Keyed {
        let actor = try req.requireActor()
        let made = try await DeviceRegister(app: req.application, actor: actor).rotateKey(code: req.parameters.get("code") ?? "")
        return Keyed(device: try await view(made.device, req), key: made.key)
    }

    struct Answer: Content {
        var received: Int
        var stored: Int
        var duplicates: Int
        var rejected: [Rejected]
        var cases: [String]

        struct Rejected: Content {
            var index: Int
            var field: String?
            var reason: String
        }
    }

    @Sendable func ingest(req: Request) async throws -> Response {
        let actor = try req.require(.devicesSend)
        guard let body = req.body.data, body.readableBytes > 0 else {
            throw DomainError.invalid("body", zh: "请求体应为事件的 JSON 数组或 NDJSON", en: "the body must be a JSON array or NDJSON of events")
        }
        let ndjson = req.headers.contentType?.subType.contains("ndjson") == true || req.headers.contentType?.subType == "x-ndjson"
        let language = req.language
        let now = req.now
        let objects: [Result<[String: Any], DeviceEventBatch.LineProblem>]
        do {
            objects = try DeviceEventBatch.objects(Data(buffer: body), ndjson: ndjson)
        } catch .tooMany(let n) {
            throw DomainError.tooLarge(LocalizedText(zh: "一批最多 \(DeviceEventBatch.maxEvents) 条事件（收到 \(n) 条以上）",
                                                     en: "a batch holds at most \(DeviceEventBatch.maxEvents) events (got \(n) or more)"))
        } catch .notJSON {
            throw DomainError.invalid("body", zh: "请求体不是 JSON 数组（NDJSON 请用 Content-Type: application/x-ndjson）",
                                      en: "the body is not a JSON array (send NDJSON as Content-Type: application/x-ndjson)")
        } catch {
            throw DomainError.invalid("body", zh: "没有事件", en: "no events")
        }
        var rejected: [Answer.Rejected] = []
        var valid: [(index: Int, event: DeviceEvent)] = []
        for (i, item) in objects.enumerated() {
            switch item {
            case .failure(let p): rejected.append(.init(index: p.index, field: nil, reason: p.reason.text(language)))
            case .success(let o):
                switch DeviceEventBatch.event(o, now: now) {
                case .success(let e): valid.append((i, e))
                case .failure(let f): rejected += f.problems.map { .init(index: i, field: $0.field, reason: $0.reason.text(language)) }
                }
            }
        }
        // The devices named, and that this key may speak for them.
        let store = DeviceStore(db: req.db)
        let devices = try await store.find(codes: Array(Set(valid.map(\.event.device))))
        let reference = try await req.caseReference()
        let cipher = req.application.fieldCipher
        var kept: [(event: SealedDeviceEvent, device: DeviceRow)] = []
        var aiCandidates: [UUID: (device: DeviceRow, event: DeviceEvent, category: CaseCategory)] = [:]
        for (i, e) in valid {
            guard let device = devices[e.device] else {
                rejected.append(.init(index: i, field: "device", reason: language == .en ? "no device \(e.device) is registered" : "设备 \(e.device) 未登记"))
                continue
            }
            guard device.tokenId == req.bearerToken?.id, device.status == "active" else {
                rejected.append(.init(index: i, field: "device", reason: language == .en ? "this key may not send for \(e.device)" : "该密钥不能代表设备 \(e.device) 发送"))
                continue
            }
            let body: SealedDeviceEvent.Body
            var candidate: CaseCategory?
            switch e.body {
            case .gate(let direction, let method, let person, let plate):
                body = .gate(direction: direction, method: method, personSealed: try person.map(cipher.seal), plateSealed: try plate.map(cipher.seal),
                             plateMasked: plate.map(Masking.plate))
            case .ai(let type, let confidence, let image):
                guard let category = reference.taxonomy.deviceEvent(vendor: device.vendor, code: type) else {
                    rejected.append(.init(index: i, field: "event", reason: language == .en ? "unknown event type \(type) for \(device.vendor)" : "无法识别的事件类型 \(type)（\(device.vendor)）"))
                    continue
                }
                body = .ai(type: type, category: category.code, confidence: confidence, image: image)
                if confidence >= req.config.aiCaseConfidence { candidate = category }
            }
            let event = SealedDeviceEvent(clientID: e.clientID, at: e.at, receivedAt: now, body: body)
            if let candidate { aiCandidates[event.id] = (device, e, candidate) }
            kept.append((event, device))
        }
        let stored = try await store.insert(kept)
        // New AI events over the threshold become cases (the intake flags duplicates; a retry answers the same case).
        var cases: [String] = []
        for (id, c) in aiCandidates where stored.nonGateIDs.contains(id) {
            guard case .ai(let type, let confidence, _) = c.event.body else { continue }
            let report = CaseReport(category: c.category.code, position: GeoPoint(lat: c.device.lat, long: c.device.long), placeCode: nil,
                                    description: "设备 \(c.device.code) AI 事件 \(type)：\(c.category.name)（置信度 \(String(format: "%.2f", confidence))）", urgency: nil)
            let input = ReportCase.Input(report: report, source: .device, idempotencyKey: "device:\(c.device.code):\(c.event.clientID)",
                                         reporterName: "设备 \(c.device.code)")
            let outcome = try await ReportCase(request: req).run(input, actor: actor, now: req.now)
            try await store.setCase(eventID: id, caseID: outcome.saved.id)
            cases.append(outcome.saved.number)
        }
        rejected.sort { ($0.index, $0.field ?? "") < ($1.index, $1.field ?? "") }
        let answer = Answer(received: objects.count, stored: stored.count, duplicates: kept.count - stored.count, rejected: rejected, cases: cases.sorted())
        let status: HTTPResponseStatus = kept.isEmpty && !rejected.isEmpty ? .unprocessableEntity : .ok
        return try await answer.encodeResponse(status: status, for: req)
    }

    // MARK: Console

    struct DeviceLine: Encodable {
        var code: String
        var kind: String
        var name: String
        var vendor: String
        var status: String
        var active: Bool
        var mayManage: Bool
        var area: String
        var lastEvent: String?
        var recent: Int
        var silent: Bool
    }

    struct ConsumerLine: Encodable {
        var code: String
        var name: String
        var villages: String
        var kinds: String
        var rulesVersion: Int
        var rules: String
        var webhook: String?
        var cursor: Int64?
        var delivered: Int64?
        var failures: Int?
        var lastError: String?
        var nextAttempt: String?
    }

    struct Page: Encodable {
        var page: PageChrome
        var devices: [DeviceLine]
        var consumers: [ConsumerLine]
        var canManage: Bool
        /// Whether the data consumers' section (and its link to their pages) shows.
        var canSeeConsumers: Bool
        var form: RegisterBody
        var kinds: [Choice]
        var vendors: [Choice]
        var errors: [String: String]
        /// A key just issued (registration or a new key), shown this once.
        var issued: IssuedKey?
    }

    struct IssuedKey: Encodable {
        var code: String
        var key: String
    }

    @Sendable func page(req: Request) async throws -> Response {
        try await page(req, form: RegisterBody(), errors: [:], issued: nil)
    }

    @Sendable func registerForm(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        let body = try req.content.decode(RegisterBody.self)
        do {
            let made = try await DeviceRegister(app: req.application, actor: actor).register(body.registration)
            return try await page(req, form: RegisterBody(), errors: [:], issued: IssuedKey(code: made.device.code, key: made.key), status: .created)
        } catch let problems as FieldProblems {
            var errors: [String: String] = [:]
            for p in problems.problems { errors[p.field] = p.reason.text(req.language) }
            return try await page(req, form: body, errors: errors, issued: nil, status: .badRequest)
        }
    }

    @Sendable func retireForm(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        _ = try await DeviceRegister(app: req.application, actor: actor).retire(code: req.parameters.get("code") ?? "")
        return req.redirect(to: "/devices")
    }

    @Sendable func rotateForm(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        let made = try await DeviceRegister(app: req.application, actor: actor).rotateKey(code: req.parameters.get("code") ?? "")
        return try await page(req, form: RegisterBody(), errors: [:], issued: IssuedKey(code: made.device.code, key: made.key))
    }

    func page(_ req: Request, form: RegisterBody, errors: [String: String], issued: IssuedKey?, status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        // Staff see the register of their areas; a consumer's account sees its own feed's state, not the devices.
        guard ExchangeAccess.mayViewDevices(actor) || actor.can(.feedsRead) else {
            throw DomainError.forbidden(LocalizedText(zh: "无权查看设备", en: "not allowed to see devices"))
        }
        let language = req.language
        let reference = try await req.caseReference()
        let scope = ExchangeAccess.deviceScope(for: actor)
        let now = req.now
        let activity = try await DeviceStore(db: req.db).activity(since: now.addingTimeInterval(-86_400))
        let devices = try await DeviceStore(db: req.db).all().compactMap { d -> DeviceLine? in
            guard let area = reference.areas[d.areaId], scope.includes(area) else { return nil }
            let a = activity[d.id]
            return DeviceLine(code: d.code, kind: DeviceKind(rawValue: d.kind)?.label.text(language) ?? d.kind, name: d.name, vendor: d.vendor,
                              status: d.status == "active" ? (language == .en ? "in service" : "在用") : (language == .en ? "retired" : "已停用"),
                              active: d.status == "active", mayManage: ExchangeAccess.mayManageDevices(actor, in: area), area: area.displayName(language), lastEvent: a.map { Timestamp.beijing($0.last) },
                              recent: a?.recent ?? 0, silent: d.status == "active" && (a.map { now.timeIntervalSince($0.last) > 86_400 } ?? true))
        }
        // Consumers: all for district admins, one's own for a consumer's account, none for others.
        var consumers: [ConsumerLine] = []
        if actor.can(.feedsRead) {
            let store = ConsumerStore(db: req.db)
            for c in try await store.all() where ExchangeAccess.mayUse(consumerOwnedBy: c.userID, actor) {
                let hook = try await store.webhook(for: c)
                let villages = c.areaIDs.compactMap { reference.areas[$0]?.displayName(language) }.joined(separator: "、")
                let rules = FieldKind.allCases.map { "\($0.rawValue)=\(c.rules.technique(for: $0).rawValue)" }.joined(separator: " ")
                consumers.append(ConsumerLine(code: c.code, name: c.name, villages: villages, kinds: c.kinds.joined(separator: ", "), rulesVersion: c.rules.version,
                                              rules: rules, webhook: hook.map(\.url), cursor: hook?.cursor, delivered: hook?.deliveredEvents,
                                              failures: hook?.failures, lastError: hook?.lastError, nextAttempt: hook.map { Timestamp.beijing($0.nextAttemptAt) }))
            }
        }
        let page = Page(page: PageChrome(request: req, title: language == .en ? "Devices and data sharing" : "设备与数据共享"), devices: devices, consumers: consumers,
                        canManage: ExchangeAccess.managesDevices(actor), canSeeConsumers: actor.can(.feedsRead), form: form,
                        kinds: DeviceKind.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.kind) },
                        vendors: DeviceRules.vendors.map { Choice(value: $0, label: $0, selected: $0 == (form.vendor ?? "generic")) },
                        errors: errors, issued: issued)
        return try await req.page("devices", page, status: status)
    }
}
