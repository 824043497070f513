-- What changed since the previous release, in the order the release lists it
-- (DST revisions first, then programme files, then each table's rows).
select * from release_changes order by change_id
