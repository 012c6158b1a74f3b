import HTTPTypes
import Hummingbird
import LabelmillCore
import LabelmillDaemon
import LabelmillFS
import Logging
import NIOCore
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// `labelmill serve`: the labeling screen and its JSON API over the workspace's
/// files (SPEC section 9, notes/WEB-CONTRACT.md). Every write goes through the
/// same strict reader and validator as `check`, `submit` and the verbs.
public final class WebServer: Sendable {
    public let configuration: ServeConfiguration
    let assets: WebAssets
    let sessions = SessionStore()
    let tokens: TokenStore
    let copies: DaemonCopies
    let logger: Logger
    /// The Host/Origin rules, redone once the port is known (`--listen HOST:0`).
    let rules: Guarded<AccessRules>
    /// One page.json write at a time, so two saves never interleave their compare and rename.
    let writes = Guarded<Void>(())
    /// Event streams end when this is set (the server is stopping).
    let stopping = Guarded<Bool>(false)
    /// Event streams open now, and events sent in all (for tests and logs).
    let streams = Guarded<(open: Int, sent: Int)>((0, 0))
    /// The facts of each page.json this server wrote last, by file.
    let lastSaved = Guarded<[String: PageFacts]>([:])
    /// Seconds between looks at held pages, and between keepalive comments.
    let eventInterval: Double
    let keepaliveSeconds: Double
    /// Whether each save is fsynced. Off by default: a save is still an atomic
    /// rename (old or new text, never a mix), as the daemon's own page moves are,
    /// and a drag saves many times a minute; on a shared disk one fsync can take a second.
    let durableWrites: Bool
    let now: @Sendable () -> Double

    public static let cookieName = "lm_session"
    /// Request bodies above this are refused (SPEC: page.json is at most 16 MiB).
    public static let bodyLimit = StrictJSON.maxBytes

    public init(configuration: ServeConfiguration, assets: WebAssets = WebAssets(), logger: Logger,
                eventInterval: Double = 0.5, keepaliveSeconds: Double = 15, durableWrites: Bool = false,
                now: @escaping @Sendable () -> Double = WebServer.wallClock) {
        self.configuration = configuration
        self.assets = assets
        self.tokens = TokenStore(workspace: configuration.workspace)
        self.copies = DaemonCopies(workspace: configuration.workspace)
        self.logger = logger
        self.rules = Guarded(AccessRules(configuration: configuration, port: configuration.port))
        self.eventInterval = eventInterval
        self.keepaliveSeconds = keepaliveSeconds
        self.durableWrites = durableWrites
        self.now = now
    }

    var workspace: Workspace { configuration.workspace }

    /// The HTTP application, ready to run as a service. `onRunning` gets the
    /// address to open, with the port actually bound.
    public func application(onRunning: @escaping @Sendable (String) async -> Void = { _ in })
        -> some ApplicationProtocol & Service {
        let configuration = self.configuration
        return Application(
            router: router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "labelmill"),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port ?? configuration.port
                self.rules.with { $0 = AccessRules(configuration: configuration, port: port) }
                await onRunning("http://\(ServeConfiguration.authority(configuration.host, port))/")
            },
            logger: logger)
    }

    /// Ends every event stream (the server is stopping, or a test is done).
    public func stopEvents() { stopping.with { $0 = true } }

    public static let wallClock: @Sendable () -> Double = {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    // MARK: Routes

    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: Guard(server: self))
        for path in ["/", "/p/:project", "/p/:project/instructions"] {
            router.get(RouterPath(path)) { [self] _, _ in try self.staticFile("index.html") }
        }
        router.get("/static/:name") { [self] _, context in try self.staticFile(context.parameters.require("name")) }

        router.get("/api/session") { [self] request, _ in
            guard let name = try? self.labeler(request) else {
                throw APIError(.unauthorized, "signed-out", "not signed in")
            }
            return JSONResponse.make(.ok, .object([("name", .string(name)), ("loopback", .bool(self.configuration.isLoopback))]))
        }
        router.post("/api/signin") { [self] request, _ in try await self.signIn(request) }
        router.post("/api/signout") { [self] request, _ in try self.signOut(request) }
        router.get("/api/projects") { [self] request, _ in try self.projects(self.labeler(request)) }
        router.get("/api/projects/:project/instructions") { [self] request, context in
            _ = try self.labeler(request)
            return try self.instructions(context.parameters.require("project"))
        }
        router.post("/api/projects/:project/next") { [self] request, context in
            try self.next(self.pages(request, context))
        }
        router.post("/api/projects/:project/leave") { [self] request, context in
            try self.leave(self.pages(request, context))
        }
        router.get("/api/projects/:project/pages") { [self] request, context in
            let pages = try self.pages(request, context)
            return JSONResponse.make(.ok, .object([("pages", pages.held.jsonList)]))
        }
        router.get("/api/projects/:project/pages/:page") { [self] request, context in
            let pages = try self.pages(request, context)
            let bytes = try pages.read(context.parameters.require("page"))
            return JSONResponse.bytes(.ok, bytes, contentType: "application/json",
                                      headers: [.eTag: PageTag.header(bytes), .cacheControl: "no-store"])
        }
        router.put("/api/projects/:project/pages/:page") { [self] request, context in
            let pages = try self.pages(request, context)
            return try await self.save(pages, context.parameters.require("page"), request)
        }
        router.post("/api/projects/:project/pages/:page/submit") { [self] request, context in
            let pages = try self.pages(request, context)
            return try self.submit(pages, context.parameters.require("page"), request)
        }
        router.get("/api/projects/:project/pages/:page/images/:index") { [self] request, context in
            let pages = try self.pages(request, context)
            return try self.image(pages, context.parameters.require("page"), context.parameters.require("index"))
        }
        router.get("/api/projects/:project/events") { [self] request, context in
            try self.events(self.pages(request, context), request)
        }
        return router
    }

    func staticFile(_ name: String) throws -> Response {
        guard let bytes = assets.file(name) else { throw APIError.notFound("no file \(name)") }
        var headers: HTTPFields = [.cacheControl: "no-cache"]
        if name.hasSuffix(".html") {
            // Scripts only from this server: a tag in INSTRUCTIONS.md or a page.json can never run.
            headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
        }
        return JSONResponse.bytes(.ok, bytes, contentType: WebAssets.contentType(for: name), headers: headers)
    }

    // MARK: Who

    /// The signed-in labeler, or 401.
    func labeler(_ request: Request) throws(APIError) -> String {
        let signedOut = APIError(.unauthorized, "signed-out", "sign in first")
        guard let id = request.cookies[Self.cookieName]?.value, let session = sessions.session(id) else { throw signedOut }
        if let hash = session.tokenHash {
            // A revoked token ends the sessions it opened.
            let live = (try? tokens.entries())?.contains { constantTimeEqual($0.sha256, hash) } ?? false
            guard live else { sessions.end(id); throw signedOut }
        }
        return session.name
    }

    func pages(_ request: Request, _ context: BasicRequestContext) throws -> LabelerPages {
        let name = try labeler(request)
        return try LabelerPages(workspace: workspace, project: context.parameters.require("project"), labeler: name)
    }

    func signIn(_ request: Request) async throws -> Response {
        let body = try await BodyLimit.collect(request, limit: 64 << 10)
        guard let node = try? StrictJSON.parse(body), case .object = node.value else {
            throw APIError.badRequest("send {\"name\": \"your-name\"} or {\"token\": \"...\"}")
        }
        let name: String
        var tokenHash: String?
        if let token = node.value["token"]?.stringValue {
            guard let owner = try? tokens.labeler(for: token) else {
                throw APIError(.unauthorized, "bad-token", "this sign-in link is not valid (revoked, or mistyped); ask for a new one")
            }
            name = owner
            tokenHash = TokenStore.hash(token)
        } else if let given = node.value["name"]?.stringValue {
            guard configuration.isLoopback else {
                throw APIError(.forbidden, "token-required", "on this address you sign in with the link an admin makes with `labelmill token add NAME`")
            }
            if let problem = labelerNameProblem(given) { throw APIError(.badRequest, "bad-name", problem) }
            name = given
        } else {
            throw APIError.badRequest("send {\"name\": \"your-name\"} or {\"token\": \"...\"}")
        }
        let id = sessions.create(name: name, tokenHash: tokenHash)
        return JSONResponse.make(.ok, .object([("name", .string(name))]),
                                 headers: [.setCookie: "\(Self.cookieName)=\(id); HttpOnly; SameSite=Strict; Path=/"])
    }

    func signOut(_ request: Request) throws -> Response {
        let name = try labeler(request)
        var returned: [(String, JSONValue)] = []
        for project in LocalPaths.names(workspace.inboxRoot) where Names.isValidName(project) {
            let pages = try LabelerPages(workspace: workspace, project: project, labeler: name)
            let ids = try release(pages, reason: "Signed out on the web page; your pages went back to the queue with their labels.")
            if !ids.isEmpty { returned.append((project, ids.jsonList)) }
        }
        if let id = request.cookies[Self.cookieName]?.value { sessions.end(id) }
        return JSONResponse.make(.ok, .object([("signed_out", .bool(true)), ("returned", .object(returned))]),
                                 headers: [.setCookie: "\(Self.cookieName)=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"])
    }

    // MARK: Projects and the queue

    func projects(_ name: String) throws -> Response {
        var list: [JSONValue] = []
        for project in LocalPaths.names(workspace.inboxRoot) where Names.isValidName(project) {
            guard LocalPaths.isDirectory(workspace.inbox(project)) else { continue }
            var entry: [(String, JSONValue)] = [("name", .string(project))]
            switch settings(project) {
            case .failure(let error):
                if error.status == .notFound { continue }
                entry.append(("error", .string(error.message)))
            case .success(let settings):
                let pages = try LabelerPages(workspace: workspace, project: project, labeler: name)
                let done = LocalPaths.names(workspace.outbox(project)).filter { PageID.number($0) != nil }.count
                entry += [
                    ("task", .string(settings.task.rawValue)), ("tags", settings.tags.jsonList),
                    ("page_size", .number(Double(settings.pageSize))),
                    ("queued", .number(Double(pages.queue.queued.count))), ("done", .number(Double(done))),
                    ("held", pages.held.jsonList), ("has_instructions", .bool(instructionsFile(project) != nil)),
                ]
            }
            list.append(.object(entry))
        }
        return JSONResponse.make(.ok, .object([("projects", .array(list))]))
    }

    func settings(_ project: String) -> Result<ProjectSettings, APIError> {
        guard Names.isValidName(project) else { return .failure(.notFound("no project \"\(project)\"")) }
        let file = workspace.settingsFile(project)
        let bytes: [UInt8]
        do { bytes = try LocalPaths.readBeneath(workspace.root, ["Inbox", project, "project.json"], maxBytes: 1 << 20).bytes } catch {
            if error.isNotFound { return .failure(.notFound("no project \"\(project)\"")) }
            return .failure(APIError(.conflict, "project-invalid", "\(file): \(error)"))
        }
        do { return .success(try ProjectSettings(bytes: bytes)) } catch {
            return .failure(APIError(.conflict, "project-invalid", "\(file): \(error.description)"))
        }
    }

    func instructionsFile(_ project: String) -> [UInt8]? {
        for components in [["Watch", project, "INSTRUCTIONS.md"], ["Inbox", project, "INSTRUCTIONS.md"]] {
            if let read = try? LocalPaths.readBeneath(workspace.root, components, maxBytes: 4 << 20) { return read.bytes }
        }
        return nil
    }

    func instructions(_ project: String) throws -> Response {
        if case .failure(let error) = settings(project), error.status == .notFound { throw error }
        guard let bytes = instructionsFile(project) else { return JSONResponse.make(.ok, .object([("html", .null)])) }
        return JSONResponse.make(.ok, .object([("html", .string(Instructions.html(markdown: String(decoding: bytes, as: UTF8.self))))]))
    }

    func next(_ pages: LabelerPages) throws -> Response {
        let settings = try settings(pages.project).get()
        do {
            try pages.queue.signIn(pages.labeler)
            for id in try pages.queue.fill(pages.labeler, upTo: settings.pagesPerLabeler) {
                try EventLog.record(Event(time: now(), kind: .assigned, project: pages.project, page: id, labeler: pages.labeler), in: workspace)
            }
        } catch {
            throw APIError(.internalServerError, "io", "could not take pages: \(error)")
        }
        let held = pages.held
        var body: [(String, JSONValue)] = [("pages", held.jsonList)]
        if held.isEmpty { body.append(("no_more_pages", .bool(true))) }
        return JSONResponse.make(.ok, .object(body))
    }

    func leave(_ pages: LabelerPages) throws -> Response {
        if case .failure(let error) = settings(pages.project), error.status == .notFound { throw error }
        let returned = try release(pages, reason: "Signed out on the web page; your pages went back to the queue with their labels.")
        return JSONResponse.make(.ok, .object([("returned", returned.jsonList)]))
    }

    /// As `labelmill leave`: held pages back to the queue, SIGNED-OUT.txt.
    func release(_ pages: LabelerPages, reason: String) throws -> [String] {
        guard LocalPaths.statusBeneath(workspace.root, ["Watch", pages.project, "labelers", pages.labeler])?.kind == .directory else { return [] }
        do {
            let returned = try pages.queue.release(pages.labeler, reason: reason)
            for id in returned {
                try EventLog.record(Event(time: now(), kind: .returned, project: pages.project, page: id, labeler: pages.labeler), in: workspace)
            }
            return returned
        } catch {
            throw APIError(.internalServerError, "io", "could not return the pages: \(error)")
        }
    }

    // MARK: Pages

    func expectedTag(_ request: Request) throws(APIError) -> String {
        guard let header = request.headers[.ifMatch] else {
            throw APIError(.preconditionRequired, "if-match-required", "send If-Match with the ETag of the page.json you edited")
        }
        return PageTag.parse(header)
    }

    func save(_ pages: LabelerPages, _ page: String, _ request: Request) async throws -> Response {
        let tag = try expectedTag(request)
        let notHeld = APIError(.conflict, "not-held", "page \(page) is no longer yours (it went back to the queue or was handed in); open your next page")
        guard pages.isHeld(page) else { throw notHeld }
        let body = try await BodyLimit.collect(request, limit: Self.bodyLimit)
        let current = try pages.read(page, missing: notHeld)
        let currentTag = PageTag.of(current)
        guard currentTag == tag else { throw Self.conflict }
        let facts = savedFacts(pages, page, current, tag: currentTag)
        try Self.requireEditable(facts, page)
        let check = SubmissionValidator.check(body, expected: copies.manifest(project: pages.project, page: page),
                                              files: nil, labelsRequired: false)
        var errors = check.errors
        if let node = check.node { errors += Self.savingRules(node, assignedTo: facts.assignedTo) }
        if !errors.isEmpty {
            errors.sort { ($0.line, $0.column) < ($1.line, $1.column) }
            throw APIError(.unprocessableContent, "invalid",
                           "page.json was not saved: \(errors.count) error\(errors.count == 1 ? "" : "s")", errors: errors)
        }
        try write(pages, page, expecting: current, body, notHeld: notHeld)
        let newTag = PageTag.of(body)
        if let node = check.node {
            let saved = PageFacts(tag: newTag, status: node.value["status"]?.stringValue, assignedTo: node.value["assigned_to"])
            lastSaved.with { $0[pages.file(page)] = saved }
        }
        return JSONResponse.make(.ok, .object([("etag", .string(newTag))]), headers: [.eTag: "\"\(newTag)\""])
    }

    /// What a save checks in the page.json it replaces.
    struct PageFacts: Sendable {
        var tag: String
        var status: String?
        var assignedTo: JSONValue?
    }

    /// The facts of page.json as on disk: from the last save when the file is still
    /// that version (a drag saves many times; each parse of a large page costs), else read.
    func savedFacts(_ pages: LabelerPages, _ page: String, _ current: [UInt8], tag: String) -> PageFacts {
        if let known = lastSaved.with({ $0[pages.file(page)] }), known.tag == tag { return known }
        let value = (try? StrictJSON.parse(current))?.value
        return PageFacts(tag: tag, status: value?["status"]?.stringValue, assignedTo: value?["assigned_to"])
    }

    /// As the verbs: only an open or rejected page is edited (a submitted one waits for the daemon).
    static func requireEditable(_ facts: PageFacts, _ page: String) throws(APIError) {
        guard let status = facts.status else { return }
        guard status == PageStatus.open.rawValue || status == PageStatus.rejected.rawValue else {
            throw APIError(.conflict, "not-open", "page \(page) is \(status); only open or rejected pages can be edited")
        }
    }

    static let conflict = APIError(.preconditionFailed, "conflict", "page.json changed on disk since you loaded it; load it again")

    /// What a save may not do that a submission's checks allow: hand the page in or
    /// mark it done (Submit does that), or give it to someone else.
    static func savingRules(_ node: JSONNode, assignedTo before: JSONValue?) -> [PageError] {
        var errors: [PageError] = []
        if let status = node["status"], case .string(let s) = status.kind, s != PageStatus.open.rawValue, s != PageStatus.rejected.rawValue {
            errors.append(PageError(line: status.position.line, column: status.position.column, pointer: "/status",
                                    message: "\"status\" must stay \"open\" or \"rejected\" while the page is edited; use Submit to hand it in"))
        }
        if node.value["assigned_to"] != before {
            let at = node["assigned_to"]?.position ?? node.position
            errors.append(PageError(line: at.line, column: at.column, pointer: "/assigned_to",
                                    message: "\"assigned_to\" was changed; the daemon's values must stay as written"))
        }
        return errors
    }

    func write(_ pages: LabelerPages, _ page: String, expecting: [UInt8], _ bytes: [UInt8], notHeld: APIError) throws {
        let file = pages.file(page)
        let written: Bool
        do {
            written = try writes.with { _ in
                try LocalPaths.replaceIfUnchanged(file, expecting: expecting, with: bytes, durable: durableWrites)
            }
        } catch let error as FileSystemError {
            if error.isNotFound { throw notHeld }
            throw APIError(.internalServerError, "io", "could not save page.json: \(error)")
        }
        guard written else { throw Self.conflict }
    }

    func submit(_ pages: LabelerPages, _ page: String, _ request: Request) throws -> Response {
        let tag = try expectedTag(request)
        let notHeld = APIError(.conflict, "not-held", "page \(page) is no longer yours; open your next page")
        guard pages.isHeld(page) else { throw notHeld }
        let current = try pages.read(page, missing: notHeld)
        guard PageTag.of(current) == tag else { throw Self.conflict }
        let files: [PageFolderFile]
        do { files = try PageFolder.files(pages.folder(page)) } catch { throw notHeld }
        let check = SubmissionValidator.check(current, expected: copies.manifest(project: pages.project, page: page), files: files)
        guard let node = check.node else {
            throw APIError(.unprocessableContent, "invalid", "page.json is not valid JSON", errors: check.errors)
        }
        let status = node["status"]?.value.stringValue ?? ""
        guard status == PageStatus.open.rawValue || status == PageStatus.rejected.rawValue else {
            throw APIError(.conflict, "not-open", "page \(page) is \(status.isEmpty ? "without a status" : "already \(status)"); only open or rejected pages can be submitted")
        }
        guard check.errors.isEmpty else {
            throw APIError(.unprocessableContent, "invalid",
                           "not submitted: \(check.errors.count) error\(check.errors.count == 1 ? "" : "s") to fix first", errors: check.errors)
        }
        var value = node.value
        value.setMember("status", .string(PageStatus.submitted.rawValue))
        value.removeMember("errors")
        let bytes = JSONWriter.prettyBytes(value)
        try write(pages, page, expecting: current, bytes, notHeld: notHeld)
        return JSONResponse.make(.ok, .object([("status", .string("submitted")), ("etag", .string(PageTag.of(bytes)))]),
                                 headers: [.eTag: PageTag.header(bytes)])
    }

    /// Images by 1-based index, resolved through page.json inside the held page folder.
    func image(_ pages: LabelerPages, _ page: String, _ indexText: String) throws -> Response {
        guard let first = indexText.utf8.first, first != UInt8(ascii: "0"), indexText.utf8.count <= 4,
              indexText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let index = Int(indexText) else {
            throw APIError.notFound("images are numbered from 1, like /images/1")
        }
        let name = try pages.imageName(page, index: index, copies: copies)
        let opened: (fd: Int32, status: FileStatus)
        do { opened = try LocalPaths.openBeneath(workspace.root, pages.components(page, name)) } catch {
            throw APIError.notFound("page \(page) has no image \(index)")
        }
        defer { close(opened.fd) }
        let bytes: [UInt8]
        do { bytes = try LocalPaths.readAll(opened.fd, from: 0, display: name) } catch {
            throw APIError(.internalServerError, "io", "could not read image \(index): \(error)")
        }
        return JSONResponse.bytes(.ok, bytes, contentType: Self.imageType(bytes),
                                  headers: [.cacheControl: "private, max-age=3600"])
    }

    static func imageType(_ bytes: [UInt8]) -> String {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "image/png" }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        return "application/octet-stream"
    }

    // MARK: Events

    func events(_ pages: LabelerPages, _ request: Request) throws -> Response {
        if case .failure(let error) = settings(pages.project), error.status == .notFound { throw error }
        let watch = PageWatch(pages: pages)
        let interval = eventInterval, keepalive = keepaliveSeconds
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store"]
        return Response(status: .ok, headers: headers, body: ResponseBody { [self] writer in
            var watch = watch
            self.streams.with { $0.open += 1 }
            defer { self.streams.with { $0.open -= 1 } }
            try await request.body.consumeWithCancellationOnInboundClose { _ in
                try await writer.write(ByteBuffer(string: "retry: 2000\n: connected\n\n"))
                var quiet = 0.0
                while !Task.isCancelled && !Task.isShuttingDownGracefully && !self.stopping.with({ $0 }) {
                    try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                    quiet += interval
                    let frames = watch.poll().map(\.frame)
                    if !frames.isEmpty {
                        try await writer.write(ByteBuffer(string: frames.joined()))
                        self.streams.with { $0.sent += frames.count }
                        quiet = 0
                    } else if quiet >= keepalive {
                        try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                        quiet = 0
                    }
                }
            }
            try await writer.finish(nil)
        })
    }
}

/// Host and Origin checks, the body limit from Content-Length, and JSON for every error.
struct Guard: RouterMiddleware {
    typealias Context = BasicRequestContext
    let server: WebServer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await check(request, context: context, next: next)
        } catch let error as APIError {
            response = JSONResponse.make(error.status, error.json)
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not-found" : "http-\(error.status.code)"
            response = JSONResponse.make(error.status, .object([("error", .string(code)), ("message", .string(error.body ?? error.status.reasonPhrase))]))
        } catch {
            server.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = JSONResponse.make(.internalServerError, .object([("error", .string("internal")), ("message", .string("the server could not do this; see its log"))]))
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        // The sign-in link's token must not leak to other sites through Referer.
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        return response
    }

    func check(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let rules = server.rules.with { $0 }
        let host = request.head.authority
        guard rules.hostAllowed(host) else {
            throw APIError(.misdirectedRequest, "wrong-host", "this server answers to \(rules.allowedHosts.sorted().joined(separator: ", ")), not \(host ?? "no Host"); start it with --host-name NAME for another name")
        }
        if request.method != .get && request.method != .head {
            guard rules.originAllowed(request.headers[.origin], host: host) else {
                throw APIError(.forbidden, "cross-site", "a change must come from this server's own page")
            }
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > WebServer.bodyLimit {
            throw BodyLimit.tooLarge
        }
        return try await next(request, context)
    }
}

/// Request bodies read with a limit, checked while they stream in (chunked bodies have no length).
enum BodyLimit {
    static let tooLarge = APIError(.contentTooLarge, "too-large", "the request body is over 16 MiB; page.json may be at most 16 MiB")

    static func collect(_ request: Request, limit: Int) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw tooLarge }
        return try await collect(request.body, limit: limit)
    }

    static func collect<Body: AsyncSequence>(_ body: Body, limit: Int) async throws -> [UInt8] where Body.Element == ByteBuffer {
        var bytes: [UInt8] = []
        for try await buffer in body {
            guard bytes.count + buffer.readableBytes <= limit else { throw tooLarge }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return bytes
    }
}
