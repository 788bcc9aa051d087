-- Coding review: the coder's team and vendor at submission, the checks'
-- findings and the reviewer's outcome.
--
-- team_id and vendor_id are NULL when absent, like the other optional
-- references. Findings (with each reviewer decision) are read and written
-- whole with their submission and never filtered on, so they are a JSON
-- array, like diagnoses and procedures. The review is NULL in every column
-- until the submission is reviewed; reviewed_at tells whether it is.

ALTER TABLE submissions ADD COLUMN team_id TEXT REFERENCES teams (id);
ALTER TABLE submissions ADD COLUMN vendor_id TEXT REFERENCES vendors (id);
ALTER TABLE submissions ADD COLUMN findings TEXT NOT NULL DEFAULT '[]';
ALTER TABLE submissions ADD COLUMN reviewer_id TEXT;
ALTER TABLE submissions ADD COLUMN decisions TEXT;
ALTER TABLE submissions ADD COLUMN final_diagnoses TEXT;
ALTER TABLE submissions ADD COLUMN final_procedures TEXT;
ALTER TABLE submissions ADD COLUMN review_note TEXT;
ALTER TABLE submissions ADD COLUMN reviewed_at TEXT;

-- Accuracy reports select by team or vendor over a period of CreatedAt.
CREATE INDEX submissions_team_id ON submissions (team_id, created_at);
CREATE INDEX submissions_vendor_id ON submissions (vendor_id, created_at);
CREATE INDEX submissions_created_at ON submissions (created_at);
