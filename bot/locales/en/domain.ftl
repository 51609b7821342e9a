# Domain texts (English): complaint categories and their hints; what the Ombudsman can and
# cannot do per category and the next steps; names of competent bodies; hotline labels;
# regions; the notes on old events and on anonymity.
# Legal rules that shared/docs marks UNVERIFIED or [U] are worded carefully on purpose
# ("as a rule", "check the deadline written in the decision") or left out; see
# dialogs/data/SOURCES.md for the source of each text. Phone numbers are not written here:
# they live in dialogs/data/categories.json. Keep the key set identical in en, ru and kk.

## Categories: button labels (28 characters at most) and one-line hints

category-torture_ill_treatment = Torture, ill-treatment
category-torture_ill_treatment-hint = Beatings, threats or humiliation by police, guards, orphanage or care-home staff
category-convicts_rights = Prisoners' rights
category-convicts_rights-hint = Conditions, food, medical care, visits, transfers or penalties in prison or SIZO
category-pretrial_investigation = Criminal case, investigation
category-pretrial_investigation-hint = Unlawful detention, no lawyer, a biased or stalled investigation, a closed case
category-court_decision = Court decision
category-court_decision-hint = You disagree with a court decision or with how a trial was held
category-health_care = Health care
category-health_care-hint = Refused or poor medical care, free medicines, harm from treatment
category-social_security = Benefits and pensions
category-social_security-hint = Allowances, pensions, social aid, care homes, a refused public service
category-labour = Work and wages
category-labour-hint = Dismissal, unpaid wages, pressure at work, unsafe conditions, forced labour
category-housing = Housing
category-housing-hint = Housing waiting list, eviction, state rental housing, unsafe buildings
category-disability = Disability
category-disability-hint = Disability group, technical aids, invataxi, ramps, care and rehabilitation
category-women_rights = Women, domestic violence
category-women_rights-hint = Violence or threats at home or from a former partner, harassment, alimony
category-children_rights = Children's rights
category-children_rights-hint = Violence, bullying, school problems, custody, alimony, a child's health
category-religion = Freedom of religion
category-religion-hint = Religious practice, religious groups, religious literature, school dress rules
category-other = Something else
category-other-hint = Corruption, migrants' rights, public services or anything not listed above

## What the Ombudsman can do, what not, and the next steps

juris-torture_ill_treatment-can =
    The Ombudsman can send a National Preventive Mechanism group on a special visit, ask the prosecutor to check, and help find a lawyer. The Ombudsman may act even without a written complaint and may continue when a complaint is withdrawn under pressure.
juris-torture_ill_treatment-cannot =
    The Ombudsman does not investigate crimes, cannot open a criminal case and cannot punish officers: torture cases are investigated by the prosecutor's office.
juris-torture_ill_treatment-next =
    • If the person is still held or in danger, say so at once: such appeals are urgent.
    • Record injuries as soon as possible: ask for a medical examination and take photos.
    • Write down names, the time, the place and any witnesses.
    • Report to the prosecutor's office. Victims of torture have the right to free legal advice.

juris-convicts_rights-can =
    The Ombudsman and the regional representatives can visit prisons at any time, talk to inmates and receive complaints. They can ask the prison, the Committee of the Penal System and the prosecutor for explanations and send recommendations, which must be considered within 15 working days.
juris-convicts_rights-cannot =
    The Ombudsman cannot release anyone, shorten a sentence or grant parole: a court decides this. The sentence itself is not reviewed by the Ombudsman.
juris-convicts_rights-next =
    • An inmate can also complain through the electronic terminal or the confidential complaint box, which is collected by the prosecutor, not by the prison.
    • Relatives can file here: give the inmate's full name and the institution's number.
    • Medical care: the Committee for Medical and Pharmaceutical Control or the regional health department.
    • Parole or a milder punishment: a court decides; a lawyer can help.

juris-pretrial_investigation-can =
    The Ombudsman can ask the police, the investigator and the prosecutor for explanations and a check of the case, and send recommendations. The Ombudsman can also help you find a lawyer.
juris-pretrial_investigation-cannot =
    The Ombudsman cannot close or reopen a criminal case, change the charges or decide on custody: the prosecutor and the investigating judge do this. The Ombudsman does not investigate.
juris-pretrial_investigation-next =
    • Ask for a lawyer at once: it is your right, and in some cases legal aid is free.
    • Detention is limited to 48 hours for an adult and 24 hours for a minor. If it lasts longer, say so: the appeal is urgent.
    • Complain about the investigator to the supervising prosecutor.
    • Some actions and decisions can be challenged before the investigating judge; ask your lawyer about the time limit.

juris-court_decision-can =
    The Ombudsman may look into possible violations of your procedural rights, for example the right to a lawyer. The office can explain how to appeal and help you find legal aid, and a representative may ask to attend a public hearing as an observer.
juris-court_decision-cannot =
    The Ombudsman cannot overturn or review a court decision and does not interfere in a case. A decision is challenged by appeal and then cassation; the deadline is written in the decision itself. The Constitutional Court accepts citizens' appeals only on whether a law is constitutional, not about a court decision.
juris-court_decision-next =
    • Read the decision: it says how and by what date it can be appealed.
    • File an appeal, and later a cassation complaint, through the court or online in the Judicial Cabinet.
    • A lawyer can help you write it; some people are entitled to free legal aid.
    • If you believe the law applied to you breaches the Constitution, you can apply to the Constitutional Court and name the exact provision.

juris-health_care-can =
    The Ombudsman can ask the health authorities for explanations and ask the Committee for Medical and Pharmaceutical Control to check a clinic or hospital. The Ombudsman can send recommendations.
juris-health_care-cannot =
    The Ombudsman does not judge treatment, cannot punish medical staff and cannot close a clinic. Compensation for harm to health is usually claimed in court.
juris-health_care-next =
    • As a rule, first complain in writing to the head of the clinic or hospital.
    • Then write to the regional health department or the Committee for Medical and Pharmaceutical Control; you can also use eOtinish.
    • Refused free care or insurance services: the cause is often a database error or unpaid contributions; ask the Social Health Insurance Fund.
    • If a patient died or was seriously harmed, you can also go to the police.

juris-social_security-can =
    The Ombudsman can ask the department of employment and social programmes or a Government for Citizens centre to explain a refusal and check it again. The Ombudsman can send recommendations.
juris-social_security-cannot =
    The Ombudsman cannot grant a benefit or set aside the conditions in the law: if the criteria are not met, a refusal usually stands.
juris-social_security-next =
    • Ask for the refusal in writing.
    • A complaint about a public service goes to the head of the provider, who must answer within 5 working days; then to the Agency for Civil Service Affairs.
    • You can complain on paper, through eOtinish, the eGov "Citizen's appeal" service or the eGov call centre.
    • A decision of a state body can be appealed to the higher body within 3 months, then in the administrative court.

juris-labour-can =
    The Ombudsman can ask the labour inspection to check your employer; a check can end with an order to fix the violations. The Ombudsman can send recommendations and pass cases of forced labour to the police.
juris-labour-cannot =
    The Ombudsman cannot decide a labour dispute or reinstate you: the conciliation commission and the court do that. If a court has already decided or is hearing the case, the Ombudsman does not interfere.
juris-labour-next =
    • As a rule, first apply to the conciliation commission at your workplace; it must consider the dispute within 15 working days. Some small employers and the civil service have no such step.
    • Dismissal: apply to the commission within 1 month of receiving the dismissal order, then to court within 2 months of its decision. Where no commission is required, go to court within 3 months.
    • Other labour disputes: within 1 year of the day you learned of the violation.
    • Unpaid wages or unsafe work: you can also complain to the labour inspection. Give the employer's full details and your evidence.

juris-housing-can =
    The Ombudsman can ask the akimat to explain a refusal or a delay and to check that you were registered correctly. The Ombudsman can send recommendations.
juris-housing-cannot =
    The Ombudsman cannot give housing or move you up the waiting list: everyone on the list has equal rights. An eviction ordered by a court cannot be stopped by the Ombudsman.
juris-housing-next =
    • You can usually apply for the waiting list through egov.kz or a Government for Citizens centre.
    • Keep the written refusal: it can be appealed to the higher body within 3 months, then in the administrative court.
    • A court decision on eviction is challenged by appeal; the deadline is written in the decision.
    • A woman with children left without shelter can ask a crisis centre for temporary housing.

juris-disability-can =
    The Ombudsman can ask the medical and social expertise, the department of employment and social programmes or the akimat for explanations and a check, for example about an invataxi, technical aids or a ramp. The Ombudsman can send recommendations.
juris-disability-cannot =
    The Ombudsman cannot set or change a disability group: only the medical and social expertise decides, and a review often does not change the result.
juris-disability-next =
    • For a disability assessment, apply through the clinic where you live; ask for the decision in writing.
    • Technical aids and services can be chosen on the Social Services Portal.
    • A public service refused: complain to the head of the provider (the answer is due within 5 working days), then to the Agency for Civil Service Affairs.
    • Persons with disabilities have the right to priority care in health organisations.

juris-women_rights-can =
    The Ombudsman can pass threats and violence on to the police and check how they respond. The office can ask bailiffs to act on unpaid alimony and help you find a lawyer or a crisis centre.
juris-women_rights-cannot =
    The Ombudsman cannot replace the police in an emergency. Family disputes over children or property are decided by a court, and the Ombudsman does not interfere in court cases.
juris-women_rights-next =
    • If you are in danger now, call the police at once.
    • The police can issue a protective order against the abuser.
    • Crisis centres offer shelter and psychological help; victims of domestic violence have the right to free legal advice.
    • The family, women and children line gives advice day and night. Unpaid alimony: contact the bailiff.

juris-children_rights-can =
    The Ombudsman can ask the education department, the guardianship body, the police or bailiffs to check the situation and act, and can send recommendations.
juris-children_rights-cannot =
    The Ombudsman does not decide where a child lives or who has custody: the court and the guardianship body do that. Crimes against children are investigated by the police and the prosecutor, not by the Ombudsman.
juris-children_rights-next =
    • Violence or sexual abuse: go to the police or the prosecutor at once.
    • The children's trust line and the family line give advice; a child can contact them too.
    • Bullying or violence at school: the school head, then the education department.
    • Unpaid alimony: the bailiff.

juris-religion-can =
    The Ombudsman can ask the department of religious affairs, a school or another body to explain its actions and check whether your rights were respected. The Ombudsman can also propose changes to laws.
juris-religion-cannot =
    The Ombudsman cannot register a religious association, cancel a fine or change a law.
juris-religion-next =
    • Religious events outside religious buildings need only a notification, not permission.
    • A fine or a warning can be challenged in court; check the deadline written in the decision.
    • Disputes with a school: the school head, then the education department.
    • Registration and other questions: the department of religious affairs at the akimat.

juris-other-can =
    The Ombudsman deals with rights violated by state bodies, officials and organisations. The office can explain where to turn, forward your appeal to the competent body and ask to be told the result.
juris-other-cannot =
    The Ombudsman cannot decide a private dispute instead of a court. Business, banking and insurance matters have their own ombudsmen.
juris-other-next =
    • Bribery or corruption: the Anti-Corruption Service and its call centre.
    • A public service refused or delayed: complain to the head of the provider (the answer is due within 5 working days), then to the Agency for Civil Service Affairs.
    • A decision of a state body: appeal to the higher body within 3 months, then in the administrative court.
    • Human trafficking or forced labour: the human trafficking hotline.

## Competent bodies

body-prosecutor = Prosecutor's office
body-investigating_judge = Investigating judge
body-appeal_court = Higher court: appeal, then cassation
body-constitutional_court = Constitutional Court (only on whether a law is constitutional)
body-bar_association = Bar association (lawyers, legal aid)
body-penal_committee = Committee of the Penal System
body-npm = National Preventive Mechanism
body-pmc = Public monitoring commission
body-health_department = Regional health department
body-medical_control_committee = Committee for Medical and Pharmaceutical Control
body-health_insurance_fund = Social Health Insurance Fund
body-court = Court
body-administrative_court = Administrative court
body-higher_body = Higher body (above the one that decided)
body-employment_department = Department of employment and social programmes
body-government_for_citizens = Government for Citizens (public service centres)
body-civil_service_agency = Agency for Civil Service Affairs
body-labour_ministry = Ministry of Labour and Social Protection
body-labour_inspection = State labour inspection
body-conciliation_commission = Conciliation commission at the employer
body-akimat = Akimat (local executive body)
body-mse = Medical and social expertise (MSE)
body-police = Police
body-crisis_centre = Crisis centre
body-children_ombudsman = Ombudsman for Children's Rights
body-education_department = Education department
body-guardianship = Guardianship body
body-bailiffs = Bailiffs (enforcement officers)
body-religious_affairs = Department of religious affairs
body-anticorruption = Anti-Corruption Service
body-entrepreneurs_ombudsman = Commissioner for the Protection of Entrepreneurs' Rights
body-financial_ombudsman = Banking or Insurance Ombudsman

## Hotlines (the numbers are in categories.json)

hotline-police = Police
hotline-family = Family, women and children
hotline-trafficking = Human trafficking
hotline-egov = eGov call centre
hotline-anticorruption = Anti-corruption call centre
hotline-children = Trust line for children and youth

## Regions

region-astana = Astana city
region-almaty_city = Almaty city
region-shymkent = Shymkent city
region-abay = Abai Region
region-akmola = Akmola Region
region-aktobe = Aktobe Region
region-almaty_region = Almaty Region
region-atyrau = Atyrau Region
region-east_kazakhstan = East Kazakhstan Region
region-zhambyl = Zhambyl Region
region-zhetisu = Zhetisu Region
region-west_kazakhstan = West Kazakhstan Region
region-karaganda = Karaganda Region
region-kostanay = Kostanay Region
region-kyzylorda = Kyzylorda Region
region-mangystau = Mangystau Region
region-pavlodar = Pavlodar Region
region-north_kazakhstan = North Kazakhstan Region
region-turkestan = Turkistan Region
region-ulytau = Ulytau Region
region-outside = Outside Kazakhstan / not sure

## Notes

old-complaint-note =
    These events were more than a year ago, but that is not a reason to refuse: we will accept your appeal and mark it for the representative, who will decide how to proceed. Other bodies may have their own deadlines, so it is better not to wait.
anonymity-note =
    We need your name and contact details: anonymous appeals are, as a rule, not considered. You can ask that your identity is not disclosed to the body you complain about. Reports of torture or of a threat to someone's life are passed on in any case.
