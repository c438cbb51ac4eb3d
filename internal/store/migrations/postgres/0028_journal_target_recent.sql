-- A target's newest entries first (issue 3: an application account's last
-- LDAP bind on its console page): journal.Filter.TargetID with NewFirst
-- reads the index from its end instead of sorting every entry about the
-- target (an application account binds many times a day).
CREATE INDEX journal_target_recent ON journal (target_id, id);
DROP INDEX journal_target;
