// The daemon's decisions, one pure machine per concern, each called by the
// engine (Sources/LabelmillDaemon) with what it read, each answering with what
// to do. None reads a file, sleeps or looks at a clock: instants on the
// daemon's clock come in as arguments (file times already turned into "when
// the daemon saw this change" by the engine's ChangeClock.swift).
//
// What happens                          asks                        answers
// ------------------------------------  --------------------------  ------------------------------------------
// inbox file appeared / closed after    InboxState.saw              examine (refuse if broken or not yet),
//   writing / renamed in / changed /                                wait until, forget
//   vanished / found by a scan
// a file examined                       (Engine.examine)            take it, refuse it with a reason
// inbox quiet for flush_seconds         InboxState.isQuiet          make the partial page (PagePlan)
// page.json changed or scanned          PageFileRule.step           review now, wait until
// several folders of one page           LiveCopy.choose             the live one; the others set aside, each
//                                                                   with a ConflictReason (its NOTE.txt)
// a submission read and checked         SubmissionVerdict.of        accept, reject with errors, ERRORS.txt
// a page in no folder of Watch          MissingPage.step / restored restore it now, wait (changing hands?)
// a page changes hands                  PagePhase.after / revision  the next phase; the revision goes up
// a tick: labelers and their leases     Staffing.actions (Lease)    expire a lease, fill a folder
// project.json read, a full disk        ProjectPhase                unconfigured(reason), ready, waitingForSpace
