# popEpi's own Pohar Perme in intervals, survtab(..., relsurv.method = "pp"), for
# net_survival(..., pp_weights = "popepi") (tests/stats/test_netsurvival.py).
# Run from this folder after survival_reference.R (it reads that script's input files):
#   Rscript survival_reference_popepi_pp.R
#
# R 4.2.2 Patched (2022-11-10 r83330); popEpi 0.4.10; data.table 1.14.8; Epi 2.47
# (Debian packages r-cran-*).
#
# Writes survival_expected_survtab_popepi_pp.csv (17 significant digits): per case, survtab's
# r.pp, SE.r.pp, r.pp.lo, r.pp.hi (the .as columns when standardised) and surv.obs with its
# SE and limits. The Lexis data and population hazards are built exactly as in
# survival_reference.R (lexis_of, pophaz_of): fot in years from 0, per = days / 365.25 + 1970,
# age in years; breaks list(fot = ..., per = 1 January of 1993-2014 [2008-2013 for the
# period approach], age = 0:150), so that every row lies in one life-table cell.
#
# The calls (one per case, `data` and `pophaz` as named in the case):
#   survtab(Surv(fot, lex.Xst) ~ 1 [or ~ dxgroup], data = lexis_of(cohort),
#           surv.type = "surv.rel", relsurv.method = "pp", pophaz = pophaz_of(lifetable),
#           conf.type = "log" | "log-log" | "plain",
#           breaks = list(fot = 0:10 [or (0:40) / 4, (0:120) / 12; 0:5 with the period],
#                         per = per_all [or per_window], age = 0:150)
#           [, adjust = agegr, weights = list(agegr = ICSS 2)])

suppressPackageStartupMessages({ library(popEpi); library(data.table); library(Epi) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("--file=", "", args[grep("--file=", args)])))
setwd(here)

num <- function(x) ifelse(is.na(x), "", sprintf("%.17g", x))
write_csv <- function(d, file) {
  d <- as.data.frame(d)
  for (k in names(d)) if (is.numeric(d[[k]]) && !is.integer(d[[k]])) d[[k]] <- num(d[[k]])
  fwrite(d, file, quote = FALSE, na = "")
}
jan1 <- function(y) as.numeric(as.Date(sprintf("%d-01-01", y)))   # days since 1970-01-01
per_of <- function(days) days / 365.25 + 1970                         # popEpi's calendar scale

# ---- inputs, as survival_reference.R reads them back ---------------------------------------
read_cohort <- function(file) {
  d <- fread(file, colClasses = list(character = c("age", "dx_date")))
  d[, age := as.numeric(age)]
  d[, dx := as.numeric(as.Date(dx_date))]
  if ("exit_date" %in% names(d)) d[, time_days := as.numeric(as.Date(exit_date)) - dx]
  d[]
}
icss_group <- function(age) cut(age, c(15, 45, 55, 65, 75, Inf), right = FALSE,
                                labels = c("15-44", "45-54", "55-64", "65-74", "75+"))
ICSS2 <- c(.28, .17, .21, .20, .14)
lexis_of <- function(d) {
  d <- d[time_days > 0, .(sex, dx, dg_age = age, time_days, stat = status,
                          agegr = icss_group(age),
                          dxgroup = if ("dxgroup" %in% names(d)) dxgroup else "")]
  Lexis(entry = list(fot = 0, per = per_of(dx), age = dg_age),
        exit = list(fot = time_days / 365.25), exit.status = stat, entry.status = 0L, data = d)
}
pophaz_of <- function(lt) data.table(sex = lt$sex, per = per_of(jan1(lt$year)), age = lt$age,
                                     haz = lt$haz)
sibr_lex <- suppressMessages(lexis_of(read_cohort("survival_sibr_cohort.csv")))
sibr_ph <- pophaz_of(fread("survival_popmort_lifetable.csv"))
synth_d <- read_cohort("survival_synth_cohort.csv")
synth_lex <- suppressMessages(lexis_of(synth_d[, dxgroup := stage]))
synth_ph <- pophaz_of(fread("survival_slopop_lifetable.csv"))
per_all <- per_of(jan1(1993:2014))
per_window <- per_of(jan1(2008:2013))
fot_breaks <- list(yearly = 0:10, quarterly = (0:40) / 4, monthly = (0:120) / 12)

survtab_rows <- function(case, st, est, group = "") {
  st <- as.data.table(st)
  obs <- if (endsWith(est, ".as")) "surv.obs.as" else "surv.obs"
  data.table(case, group = if (length(group) == 1) group else st[[group[2]]],
             time = st$Tstop, n_at_risk = NA_real_,
             estimate = st[[est]], se = st[[paste0("SE.", est)]],
             lower = st[[paste0(est, ".lo")]], upper = st[[paste0(est, ".hi")]],
             observed = st[[obs]], observed_se = st[[paste0("SE.", obs)]],
             observed_lower = st[[paste0(obs, ".lo")]],
             observed_upper = st[[paste0(obs, ".hi")]])
}
pp_survtab <- function(rhs, lex, ph, fot, per, ct) {
  survtab(as.formula(paste("Surv(fot, lex.Xst) ~", rhs)), data = lex, surv.type = "surv.rel",
          relsurv.method = "pp", pophaz = ph, conf.type = ct,
          breaks = list(fot = fot, per = per, age = 0:150))
}

# ---- popEpi's own Pohar Perme ---------------------------------------------------------------
st <- list()
for (ct in c("log", "log-log", "plain")) {
  st[[length(st) + 1]] <- survtab_rows(paste("sibr pohar-perme yearly", ct),
                                       pp_survtab("1", sibr_lex, sibr_ph, 0:10, per_all, ct),
                                       "r.pp")
}
for (b in c("quarterly", "monthly")) {
  st[[length(st) + 1]] <- survtab_rows(paste("sibr pohar-perme", b, "log"),
                                       pp_survtab("1", sibr_lex, sibr_ph, fot_breaks[[b]],
                                                  per_all, "log"), "r.pp")
}
st[[length(st) + 1]] <- survtab_rows("sibr-dxgroup pohar-perme yearly log",
                                     pp_survtab("dxgroup", sibr_lex, sibr_ph, 0:10, per_all,
                                                "log"), "r.pp", c("", "dxgroup"))
st[[length(st) + 1]] <- survtab_rows("sibr-period pohar-perme yearly log",
                                     pp_survtab("1", sibr_lex, sibr_ph, 0:5, per_window, "log"),
                                     "r.pp")
fit <- survtab(Surv(fot, lex.Xst) ~ 1, data = sibr_lex, surv.type = "surv.rel",
               relsurv.method = "pp", pophaz = sibr_ph, conf.type = "log",
               breaks = list(fot = 0:10, per = per_all, age = 0:150),
               adjust = agegr, weights = list(agegr = ICSS2))
st[[length(st) + 1]] <- survtab_rows("sibr-icss-2 pohar-perme yearly log", fit, "r.pp.as")
st[[length(st) + 1]] <- survtab_rows("synth-stage pohar-perme yearly log",
                                     pp_survtab("dxgroup", synth_lex, synth_ph, 0:10, per_all,
                                                "log"), "r.pp", c("", "dxgroup"))
write_csv(rbindlist(st), "survival_expected_survtab_popepi_pp.csv")
