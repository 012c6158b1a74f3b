import LabelmillCore
import LabelmillFS

/// The daemon's copy of every page it made (SPEC section 6), by page id. The
/// journal already holds each page's latest version, so a page loaded from
/// it stays there: only where its line is, and its status, are kept in
/// memory, and the manifest is read back (one pread) when asked for. A page
/// this run made or changed is kept whole. At a million images that leaves
/// the manifests' hundreds of megabytes on disk.
struct PageCopies {
    /// A page as loaded: its latest line in the journal, and what every pass asks of it.
    struct Line {
        var offset: Int64
        var length: Int32
        var status: PageStatus

        var span: PageJournal.LineSpan {
            get { PageJournal.LineSpan(offset: offset, length: Int(length)) }
            set { (offset, length) = (newValue.offset, Int32(newValue.length)) }
        }
    }

    private var changed: [String: PageManifest] = [:]
    private var loaded: [String: Line] = [:]
    /// What the loaded pages fix (ClassRecord.history of them), worked out as they were read.
    private var loadedHistory = ClassHistory.none
    private var loadedNewest = 0
    /// Reads a loaded page's line back from the journal.
    private var read: (String, Line) -> PageManifest? = { _, _ in nil }

    init() {}

    init(loaded: [String: Line], history: ClassHistory, newest: Int, read: @escaping (String, Line) -> PageManifest?) {
        self.loaded = loaded
        self.read = read
        (loadedHistory, loadedNewest) = (history, newest)
    }

    /// The newest page's task and tags and every tag the labels use, without
    /// reading the loaded pages back (a tag a changed page no longer uses still counts: the stricter rule).
    func history() -> ClassHistory {
        var history = loadedHistory
        var newest = loadedNewest
        for page in changed.values {
            history.used.formUnion(ClassRecord.labelTags(of: page))
            if let number = PageID.number(page.page), number > newest || history.task == nil {
                (newest, history.task, history.tags) = (number, page.task, page.tags)
            }
        }
        return history
    }

    subscript(id: String) -> PageManifest? {
        get {
            if let page = changed[id] { return page }
            return loaded[id].flatMap { read(id, $0) }
        }
        set {
            loaded[id] = nil
            changed[id] = newValue
        }
    }

    /// The page's status, without reading it back.
    func status(of id: String) -> PageStatus? { changed[id]?.status ?? loaded[id]?.status }

    var count: Int { changed.count + loaded.count }
    var isEmpty: Bool { changed.isEmpty && loaded.isEmpty }

    /// Every page id, in no particular order.
    var ids: [String] { Array(changed.keys) + Array(loaded.keys) }

    /// Every page, read back one at a time as the sequence is walked (never all at once).
    var manifests: LazyMapSequence<LazyFilterSequence<LazyMapSequence<[String], PageManifest?>>, PageManifest> {
        let copies = self
        return ids.lazy.compactMap { copies[$0] }
    }
}
