CREATE TABLE meta (
	"key" VARCHAR NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY ("key")
);
CREATE TABLE batch (
	id INTEGER NOT NULL, 
	command VARCHAR NOT NULL, 
	arguments VARCHAR NOT NULL, 
	input_file VARCHAR, 
	input_sha256 VARCHAR, 
	policy_version VARCHAR, 
	counts VARCHAR NOT NULL, 
	started_at VARCHAR NOT NULL, 
	finished_at VARCHAR, 
	outcome VARCHAR NOT NULL, 
	ledger_entries INTEGER, 
	ledger_seal VARCHAR, 
	PRIMARY KEY (id)
);
CREATE TABLE township (
	id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	code VARCHAR, 
	PRIMARY KEY (id), 
	UNIQUE (name), 
	UNIQUE (code)
);
CREATE TABLE unit (
	id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	credit_code VARCHAR, 
	PRIMARY KEY (id), 
	UNIQUE (name), 
	UNIQUE (credit_code)
);
CREATE TABLE village (
	id INTEGER NOT NULL, 
	township_id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	code VARCHAR, 
	is_poor BOOLEAN, 
	registered_population INTEGER, 
	agricultural_population INTEGER, 
	collective_income_fen INTEGER, 
	collective_income_year INTEGER, 
	relocation_zone BOOLEAN, 
	safe_water BOOLEAN, 
	power BOOLEAN, 
	hardened_road BOOLEAN, 
	unsafe_housing_cleared BOOLEAN, 
	clinic BOOLEAN, 
	broadcasting BOOLEAN, 
	broadband BOOLEAN, 
	batch_id INTEGER, 
	PRIMARY KEY (id), 
	UNIQUE (township_id, name), 
	FOREIGN KEY(township_id) REFERENCES township (id), 
	UNIQUE (code), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE INDEX ix_village_township_id ON village (township_id);
CREATE TABLE cadre (
	id INTEGER NOT NULL, 
	staff_no VARCHAR, 
	id_number VARCHAR, 
	name VARCHAR NOT NULL, 
	unit_id INTEGER, 
	rank VARCHAR NOT NULL, 
	township_id INTEGER, 
	is_teacher BOOLEAN NOT NULL, 
	phone VARCHAR, 
	in_post BOOLEAN NOT NULL, 
	batch_id INTEGER, 
	PRIMARY KEY (id), 
	UNIQUE (staff_no), 
	UNIQUE (id_number), 
	FOREIGN KEY(unit_id) REFERENCES unit (id), 
	FOREIGN KEY(township_id) REFERENCES township (id), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE INDEX ix_cadre_name ON cadre (name);
CREATE INDEX ix_cadre_unit_id ON cadre (unit_id);
CREATE TABLE household (
	id INTEGER NOT NULL, 
	household_no VARCHAR NOT NULL, 
	village_id INTEGER NOT NULL, 
	group_name VARCHAR, 
	income_per_capita_fen INTEGER, 
	housing VARCHAR, 
	housing_area FLOAT, 
	farmland_mu FLOAT, 
	is_dibao BOOLEAN, 
	is_wubao BOOLEAN, 
	relocation_zone BOOLEAN, 
	has_public_servant BOOLEAN, 
	has_vehicle BOOLEAN, 
	has_town_property BOOLEAN, 
	has_business BOOLEAN, 
	phone VARCHAR, 
	head_name VARCHAR, 
	status VARCHAR NOT NULL, 
	attribute VARCHAR, 
	main_cause VARCHAR, 
	other_causes VARCHAR, 
	fingerprint VARCHAR, 
	batch_id INTEGER, 
	PRIMARY KEY (id), 
	UNIQUE (household_no), 
	FOREIGN KEY(village_id) REFERENCES village (id), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE INDEX ix_household_status ON household (status);
CREATE INDEX ix_household_village_id ON household (village_id);
CREATE TABLE work_team (
	id INTEGER NOT NULL, 
	village_id INTEGER NOT NULL, 
	leader_name VARCHAR, 
	leader_level VARCHAR, 
	secretary_name VARCHAR, 
	enterprise_id INTEGER, 
	start_date DATE NOT NULL, 
	end_date DATE, 
	batch_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (village_id, start_date), 
	FOREIGN KEY(village_id) REFERENCES village (id), 
	FOREIGN KEY(enterprise_id) REFERENCES unit (id), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE INDEX ix_work_team_village_id ON work_team (village_id);
CREATE TABLE project (
	id INTEGER NOT NULL, 
	village_id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	industry VARCHAR NOT NULL, 
	scale FLOAT, 
	scale_unit VARCHAR, 
	start_date DATE, 
	batch_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (village_id, name), 
	FOREIGN KEY(village_id) REFERENCES village (id), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE TABLE person (
	id_number VARCHAR NOT NULL, 
	household_id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	sex VARCHAR NOT NULL, 
	birth_date DATE NOT NULL, 
	relation VARCHAR NOT NULL, 
	education VARCHAR, 
	school_status VARCHAR, 
	health VARCHAR NOT NULL, 
	labour_skill VARCHAR NOT NULL, 
	work_status VARCHAR, 
	batch_id INTEGER, 
	PRIMARY KEY (id_number), 
	FOREIGN KEY(household_id) REFERENCES household (id), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE INDEX ix_person_household_id ON person (household_id);
CREATE TABLE assessment (
	id INTEGER NOT NULL, 
	household_id INTEGER NOT NULL, 
	as_of DATE NOT NULL, 
	policy_version VARCHAR NOT NULL, 
	housing_score FLOAT NOT NULL, 
	production_score FLOAT NOT NULL, 
	labour_score FLOAT NOT NULL, 
	education_score FLOAT NOT NULL, 
	health_score FLOAT NOT NULL, 
	score FLOAT NOT NULL, 
	deprived BOOLEAN NOT NULL, 
	income_per_capita_fen INTEGER, 
	income_line_fen INTEGER NOT NULL, 
	vetoes VARCHAR NOT NULL, 
	decision VARCHAR NOT NULL, 
	main_cause VARCHAR, 
	other_causes VARCHAR NOT NULL, 
	reasons VARCHAR NOT NULL, 
	fingerprint VARCHAR NOT NULL, 
	batch_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(household_id) REFERENCES household (id), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE INDEX ix_assessment_household ON assessment (household_id, id);
CREATE TABLE status_event (
	id INTEGER NOT NULL, 
	household_id INTEGER NOT NULL, 
	date DATE NOT NULL, 
	event VARCHAR NOT NULL, 
	from_status VARCHAR, 
	to_status VARCHAR, 
	reason VARCHAR NOT NULL, 
	batch_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(household_id) REFERENCES household (id), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE INDEX ix_status_event_date ON status_event (date);
CREATE INDEX ix_status_event_household ON status_event (household_id, date);
CREATE TABLE classification (
	id INTEGER NOT NULL, 
	household_id INTEGER NOT NULL, 
	category VARCHAR NOT NULL, 
	measures VARCHAR NOT NULL, 
	reasons VARCHAR NOT NULL, 
	policy_version VARCHAR NOT NULL, 
	as_of DATE NOT NULL, 
	batch_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(household_id) REFERENCES household (id), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE INDEX ix_classification_household ON classification (household_id, id);
CREATE TABLE visit (
	id INTEGER NOT NULL, 
	date DATE NOT NULL, 
	cadre_id INTEGER NOT NULL, 
	household_id INTEGER NOT NULL, 
	kind VARCHAR NOT NULL, 
	money_fen INTEGER NOT NULL, 
	goods_fen INTEGER NOT NULL, 
	deeds INTEGER NOT NULL, 
	problem VARCHAR NOT NULL, 
	solved BOOLEAN, 
	batch_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (date, cadre_id, household_id, kind, problem), 
	FOREIGN KEY(cadre_id) REFERENCES cadre (id), 
	FOREIGN KEY(household_id) REFERENCES household (id), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE INDEX ix_visit_date ON visit (date);
CREATE INDEX ix_visit_household ON visit (household_id, date);
CREATE TABLE work_team_unit (
	work_team_id INTEGER NOT NULL, 
	unit_id INTEGER NOT NULL, 
	PRIMARY KEY (work_team_id, unit_id), 
	FOREIGN KEY(work_team_id) REFERENCES work_team (id), 
	FOREIGN KEY(unit_id) REFERENCES unit (id)
);
CREATE TABLE fund_entry (
	id INTEGER NOT NULL, 
	doc_no VARCHAR NOT NULL, 
	date DATE NOT NULL, 
	channel VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	amount_fen INTEGER NOT NULL, 
	village_id INTEGER, 
	project_id INTEGER, 
	household_id INTEGER, 
	purpose VARCHAR, 
	reverses_doc VARCHAR, 
	allocation_doc VARCHAR, 
	note VARCHAR NOT NULL, 
	batch_id INTEGER NOT NULL, 
	prev_hash VARCHAR, 
	entry_hash VARCHAR, 
	PRIMARY KEY (id), 
	CONSTRAINT ck_fund_entry_amount_positive CHECK (amount_fen > 0), 
	UNIQUE (doc_no), 
	FOREIGN KEY(village_id) REFERENCES village (id), 
	FOREIGN KEY(project_id) REFERENCES project (id), 
	FOREIGN KEY(household_id) REFERENCES household (id), 
	FOREIGN KEY(reverses_doc) REFERENCES fund_entry (doc_no), 
	FOREIGN KEY(allocation_doc) REFERENCES fund_entry (doc_no), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE TRIGGER fund_entry_no_delete BEFORE DELETE ON fund_entry
BEGIN SELECT RAISE(ABORT, 'fund_entry is append-only: record a reversal (冲销) instead'); END;
CREATE TRIGGER fund_entry_no_update BEFORE UPDATE ON fund_entry
BEGIN SELECT RAISE(ABORT, 'fund_entry is append-only: record a reversal (冲销) instead'); END;
CREATE TABLE assess_sample (
	id INTEGER NOT NULL, 
	year INTEGER NOT NULL, 
	seed INTEGER NOT NULL, 
	household_id INTEGER NOT NULL, 
	village_id INTEGER NOT NULL, 
	stratum VARCHAR NOT NULL, 
	persons INTEGER NOT NULL, 
	batch_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (year, household_id), 
	FOREIGN KEY(household_id) REFERENCES household (id), 
	FOREIGN KEY(village_id) REFERENCES village (id), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE INDEX ix_assess_sample_year ON assess_sample (year);
CREATE TABLE assess_answer (
	id INTEGER NOT NULL, 
	year INTEGER NOT NULL, 
	household_id INTEGER NOT NULL, 
	income_fen INTEGER, 
	food_clothing BOOLEAN, 
	education BOOLEAN, 
	medical BOOLEAN, 
	housing BOOLEAN, 
	water BOOLEAN, 
	approve BOOLEAN, 
	surveyor VARCHAR NOT NULL, 
	surveyed_on DATE, 
	batch_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(household_id) REFERENCES household (id), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE INDEX ix_assess_answer_household ON assess_answer (year, household_id, id);
CREATE TABLE pairing (
	id INTEGER NOT NULL, 
	cadre_id INTEGER NOT NULL, 
	household_id INTEGER NOT NULL, 
	person_id VARCHAR, 
	kind VARCHAR NOT NULL, 
	start_date DATE NOT NULL, 
	end_date DATE, 
	end_reason VARCHAR, 
	batch_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT ck_pairing_kind CHECK (kind IN ('household', 'student')), 
	FOREIGN KEY(cadre_id) REFERENCES cadre (id), 
	FOREIGN KEY(household_id) REFERENCES household (id), 
	FOREIGN KEY(person_id) REFERENCES person (id_number), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE INDEX ix_pairing_cadre ON pairing (cadre_id, end_date);
CREATE INDEX ix_pairing_household ON pairing (household_id, end_date);
CREATE TABLE loan (
	id INTEGER NOT NULL, 
	household_id INTEGER NOT NULL, 
	borrower_id VARCHAR NOT NULL, 
	bank VARCHAR NOT NULL, 
	amount_fen INTEGER NOT NULL, 
	start_date DATE NOT NULL, 
	term_months INTEGER NOT NULL, 
	rate_bp INTEGER NOT NULL, 
	purpose VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	repaid_date DATE, 
	batch_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (borrower_id, bank, start_date), 
	FOREIGN KEY(household_id) REFERENCES household (id), 
	FOREIGN KEY(borrower_id) REFERENCES person (id_number), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE INDEX ix_loan_household_id ON loan (household_id);
CREATE TABLE measure_record (
	id INTEGER NOT NULL, 
	date DATE NOT NULL, 
	household_id INTEGER NOT NULL, 
	person_id VARCHAR, 
	measure VARCHAR NOT NULL, 
	content VARCHAR NOT NULL, 
	amount_fen INTEGER NOT NULL, 
	cadre_id INTEGER, 
	batch_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (date, household_id, person_id, measure, content), 
	FOREIGN KEY(household_id) REFERENCES household (id), 
	FOREIGN KEY(person_id) REFERENCES person (id_number), 
	FOREIGN KEY(cadre_id) REFERENCES cadre (id), 
	FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE INDEX ix_measure_record_household ON measure_record (household_id, measure);
