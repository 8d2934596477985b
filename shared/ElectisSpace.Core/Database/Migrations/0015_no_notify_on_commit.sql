-- Issue 18: NOTIFY takes one database-wide lock in the commit of every transaction that sent one, held until that commit
-- ends, so every write that queued AIMS work (nearly all of them) committed one at a time: at 100 clients creating
-- people, most backends were seen waiting on "Lock: object" instead of working. The process that commits now wakes its
-- own dispatcher after the commit (Db -> OutboxCommits -> PushDispatcherService); the sweeper still covers anything a
-- crash loses between commit and dispatch.
DROP TRIGGER IF EXISTS sync_queue_notify ON sync_queue;
DROP FUNCTION IF EXISTS sync_queue_notify();
