-- Coding review: the coder's team and vendor at submission, the checks'
-- findings and the reviewer's outcome.
--
-- team_id and vendor_id are NULL when absent, like the other optional
-- references. Findings (with each reviewer decision) are read and written
-- whole with their submission and never filtered on, so they are a jsonb
-- array, like diagnoses and procedures. The review is NULL in every column
-- until the submission is reviewed; reviewed_at tells whether it is.

ALTER TABLE submissions
	ADD COLUMN team_id          text CONSTRAINT submissions_team_id_fkey REFERENCES teams (id),
	ADD COLUMN vendor_id        text CONSTRAINT submissions_vendor_id_fkey REFERENCES vendors (id),
	ADD COLUMN findings         jsonb NOT NULL DEFAULT '[]',
	ADD COLUMN reviewer_id      text,
	ADD COLUMN decisions        jsonb,
	ADD COLUMN final_diagnoses  jsonb,
	ADD COLUMN final_procedures jsonb,
	ADD COLUMN review_note      text,
	ADD COLUMN reviewed_at      timestamptz;

-- Accuracy reports select by team or vendor over a period of CreatedAt.
CREATE INDEX submissions_team_id_idx ON submissions (team_id, created_at);
CREATE INDEX submissions_vendor_id_idx ON submissions (vendor_id, created_at);
CREATE INDEX submissions_created_at_idx ON submissions (created_at);
