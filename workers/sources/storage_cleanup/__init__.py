"""Storage cleanup: the files of a deleted plan, removed through the Storage API by a job."""
