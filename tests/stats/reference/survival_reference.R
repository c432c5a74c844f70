# Reference numbers for oncoreg's survival statistics (tests/stats/test_survival.py,
# test_netsurvival.py). Run from this folder: Rscript survival_reference.R
#
# R 4.2.2 Patched (2022-11-10 r83330); survival 3.5-3; relsurv 2.2-9; popEpi 0.4.10;
# data.table 1.14.8; Epi 2.47 (Debian packages r-cran-*).
#
# Writes (results with 17 significant digits; inputs as the CSV text both sides parse):
#   survival_sibr_cohort.csv        popEpi's sibr as COHORT.csv (see survival_README.md)
#   survival_popmort_lifetable.csv  popEpi's popmort, 1993-2013, as LIFETABLE.csv
#   survival_synth_cohort.csv       a synthetic colorectal-like cohort (seeded, below)
#   survival_slopop_lifetable.csv   relsurv's slopop, 1994-2012, as LIFETABLE.csv (annual)
#   survival_lung_cohort.csv        survival's lung (time, status, sex, age) as COHORT.csv
#   survival_icss_popepi.csv        popEpi's ICSS dataset
#   survival_expected_survfit.csv   Kaplan-Meier: survfit + summary(times=)
#   survival_expected_rs_surv.csv   relsurv::rs.surv (Pohar Perme, Ederer II)
#   survival_expected_survtab.csv   popEpi::survtab / survtab_ag (hazard method)
#
# Conventions shared with oncoreg (docs/stats-survival.md): a year is 365.25 days; age at
# diagnosis in years (age_days = age * 365.25); calendar years start on 1 January; life-table
# hazards are annual (deaths per person-year of 365.25 days).

suppressPackageStartupMessages({
  library(survival); library(relsurv); library(popEpi); library(data.table); library(Epi)
})
options(datatable.print.nrows = 20)
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
Z <- qnorm(0.975)

# ---- data ------------------------------------------------------------------------------
data(sibr, package = "popEpi"); data(popmort, package = "popEpi")
sibr_cohort <- sibr[, .(
  sex = 2L,                                         # sibr: 1 = female; oncoreg: 2 = female
  age = sprintf("%.6f", as.numeric(dg_date - bi_date) / 365.25),
  dx_date = format(dg_date), exit_date = format(ex_date),
  status = as.integer(status > 0),                  # any death (relative survival)
  dxgroup = ifelse(dg_date < as.Date("2003-01-01"), "93-02", "03-12"))]
fwrite(sibr_cohort, "survival_sibr_cohort.csv")
popmort_lt <- popmort[year >= 1993, .(sex = sex + 1L, age = agegroup, year,
                                      haz = sprintf("%.10g", haz))]
fwrite(popmort_lt, "survival_popmort_lifetable.csv")

# slopop: daily hazards by age (days, cut at k * 365.241), calendar year (1 January) and sex;
# expanded to single years 1994-2012 and made annual: x 365.25 (so that annual / 365.25, the
# daily hazard oncoreg uses, is slopop's own)
data(slopop, package = "relsurv")
slo_years <- as.numeric(attr(slopop, "cutpoints")[[2]]) + as.numeric(as.Date("1960-01-01"))
slopop_lt <- CJ(sex = 1:2, age = 0:103, year = 1994:2012)
slopop_lt[, haz := sprintf("%.10g", slopop[cbind(age + 1, findInterval(jan1(year), slo_years),
                                                 sex)] * 365.25)]
fwrite(slopop_lt, "survival_slopop_lifetable.csv")

# a synthetic cohort shaped like relsurv's colrec (colorectal cancer, Slovenia 1994-2000):
# no real patient; ages, dates and follow-up drawn here
set.seed(20250101)
n <- 4000
synth <- data.table(sex = sample(1:2, n, TRUE, c(0.55, 0.45)),
                    age = pmin(pmax(rnorm(n, 67, 11), 20), 96),
                    dx = jan1(1994) + sample(0:(jan1(2001) - jan1(1994) - 1), n, TRUE),
                    stage = sample(c("1", "2", "3", "99"), n, TRUE, c(.25, .35, .3, .1)))
excess <- c("1" = 0.02, "2" = 0.12, "3" = 0.6, "99" = 0.3)[synth$stage]
pop <- exp(-9.6 + 0.088 * synth$age + 0.4 * (synth$sex == 1))
death <- rexp(n, excess + pop) * 365.25
censor <- pmin(jan1(2011) - synth$dx, rexp(n, 0.02) * 365.25)
synth[, time_days := pmax(1, floor(pmin(death, censor)))]
synth[, status := as.integer(death <= censor)]
synth_cohort <- synth[, .(sex, age = sprintf("%.8f", age), dx_date = format(as.Date(dx, origin = "1970-01-01")),
                          time_days, status, stage)]
fwrite(synth_cohort, "survival_synth_cohort.csv")

lung_cohort <- as.data.table(survival::lung)[, .(time_days = time, status = status - 1L,
                                                 sex, age)]
fwrite(lung_cohort, "survival_lung_cohort.csv")
write_csv(popEpi::ICSS, "survival_icss_popepi.csv")

# the cohorts as R reads them back (the same doubles oncoreg parses)
read_cohort <- function(file) {
  d <- fread(file, colClasses = list(character = c("age", "dx_date")))
  d[, age := as.numeric(age)]
  stopifnot(all(as.numeric(fread(file, colClasses = "character")$age) == d$age))
  d[, dx := as.numeric(as.Date(dx_date))]
  if ("exit_date" %in% names(d)) d[, time_days := as.numeric(as.Date(exit_date)) - dx]
  d[]
}
sibr_d <- read_cohort("survival_sibr_cohort.csv")
synth_d <- read_cohort("survival_synth_cohort.csv")
popmort_d <- fread("survival_popmort_lifetable.csv")
slopop_d <- fread("survival_slopop_lifetable.csv")
icss_group <- function(age) cut(age, c(15, 45, 55, 65, 75, Inf), right = FALSE,
                                labels = c("15-44", "45-54", "55-64", "65-74", "75+"))
ICSS <- list(`icss-1` = c(.07, .12, .23, .29, .29), `icss-2` = c(.28, .17, .21, .20, .14),
             `icss-3` = c(.60, .10, .10, .10, .10))

# ---- Kaplan-Meier: survfit + summary -----------------------------------------------------
km_rows <- function(case, fit, times) {
  s <- summary(fit, times = times, extend = FALSE)
  g <- if (is.null(s$strata)) rep("", length(s$time)) else sub(".*=", "", as.character(s$strata))
  data.table(case, group = g, time = s$time, n_at_risk = s$n.risk, estimate = s$surv,
             se = s$std.err, lower = s$lower, upper = s$upper)
}
lung_y <- as.data.table(survival::lung)[, .(t = time / 365.25, d = status - 1L, sex)]
km <- rbindlist(list(
  km_rows("lung-sex-log", survfit(Surv(t, d) ~ sex, lung_y, conf.type = "log"),
          c(0.25, 0.5, 1, 1.5, 2)),
  km_rows("lung-sex-loglog", survfit(Surv(t, d) ~ sex, lung_y, conf.type = "log-log"),
          c(0.25, 0.5, 1, 1.5, 2)),
  km_rows("lung-sex-plain", survfit(Surv(t, d) ~ sex, lung_y, conf.type = "plain"),
          c(0.25, 0.5, 1, 1.5, 2)),
  km_rows("sibr-log", survfit(Surv(time_days / 365.25, status) ~ 1, sibr_d, conf.type = "log"),
          c(1, 2, 3, 5, 8, 10))
))
# period approach 2008-2012: late entry at the window's start
w0 <- jan1(2008); w1 <- jan1(2013)
sibr_p <- sibr_d[, .(entry = pmax(w0 - dx, 0) / 365.25, exit = pmin(time_days, w1 - dx) / 365.25,
                     event = status == 1 & dx + time_days < w1)][exit > entry]
km <- rbind(km, km_rows("sibr-period-log", survfit(Surv(entry, exit, event) ~ 1, sibr_p,
                                                    conf.type = "log"), 1:5))
write_csv(km, "survival_expected_survfit.csv")

# ---- relsurv::rs.surv ----------------------------------------------------------------------
# the ratetable built from LIFETABLE.csv: daily hazards annual / 365.25, age cut points at
# k * 365.25 days (oncoreg's year; slopop's own are k * 365.241), years at 1 January
make_ratetable <- function(lt) {
  ages <- sort(unique(lt$age)); years <- sort(unique(lt$year))
  arr <- array(NA_real_, dim = c(length(ages), length(years), 2))
  arr[cbind(match(lt$age, ages), match(lt$year, years), lt$sex)] <- lt$haz / 365.25
  at <- attributes(relsurv::slopop)
  at$dim <- dim(arr)
  at$dimnames <- list(age = as.character(ages), year = as.character(years),
                      sex = c("male", "female"))
  at$cutpoints <- list(ages * 365.25, structure(as.integer(jan1(years) - jan1(1960)),
                                                class = "date"), NULL)
  attributes(arr) <- at
  arr
}
rs_rows <- function(case, d, lt, method, conf.type, times, group = "") {
  d <- d[time_days > 0]
  d[, age_days := age * 365.25]
  d[, diag := as.Date(dx, origin = "1970-01-01")]
  fit <- rs.surv(Surv(time_days, status) ~ 1, data = d, ratetable = make_ratetable(lt),
                 rmap = list(age = age_days, sex = sex, year = diag), method = method,
                 conf.type = conf.type)
  at <- findInterval(times * 365.25, fit$time)
  data.table(case, group, time = times,
             n_at_risk = sapply(times, function(t) sum(d$time_days >= t * 365.25)),
             estimate = fit$surv[at], se = fit$std.err[at] * fit$surv[at],
             lower = fit$lower[at], upper = fit$upper[at])
}
rs <- list()
for (m in c("pohar-perme", "ederer2")) {
  for (ct in c("log", "log-log", "plain")) {
    rs[[length(rs) + 1]] <- rs_rows(paste("sibr", m, ct), sibr_d, popmort_d, m, ct,
                                    c(0.5, 1, 2, 3, 5, 8, 10))
  }
  for (g in c("1", "2", "3", "99")) {
    rs[[length(rs) + 1]] <- rs_rows(paste("synth-stage", m, "log"), synth_d[stage == g],
                                    slopop_d, m, "log", c(1, 3, 5, 10), g)
  }
}
# ICSS-standardised (weights over the five age groups; SE sqrt(sum w^2 se^2))
standardised <- function(case, parts, w, ct) {
  est <- Reduce(`+`, Map(function(p, wi) wi * p$estimate, parts, w))
  se <- sqrt(Reduce(`+`, Map(function(p, wi) wi^2 * p$se^2, parts, w)))
  lo <- switch(ct, log = est * exp(-Z * se / est), plain = est - Z * se)
  hi <- switch(ct, log = est * exp(Z * se / est), plain = est + Z * se)
  data.table(case, group = "", time = parts[[1]]$time,
             n_at_risk = Reduce(`+`, lapply(parts, `[[`, "n_at_risk")),
             estimate = est, se = se, lower = lo, upper = hi)
}
synth_d[, agegr := icss_group(age)]
for (m in c("pohar-perme", "ederer2")) {
  parts <- lapply(levels(synth_d$agegr), function(a)
    rs_rows("", synth_d[agegr == a], slopop_d, m, "log", c(1, 3, 5)))
  rs[[length(rs) + 1]] <- standardised(paste("synth-icss-1", m, "log"), parts, ICSS$`icss-1`,
                                       "log")
}
write_csv(rbindlist(rs), "survival_expected_rs_surv.csv")

# ---- popEpi::survtab, hazard method ---------------------------------------------------------
# Lexis data in years: fot from 0, per = days / 365.25 + 1970, age at diagnosis in years;
# split at the fot breaks, every 1 January (per) and every birthday (age), so that each row
# lies in one life-table cell; pophaz keyed by the same per values of 1 January.
lexis_of <- function(d) {
  d <- d[time_days > 0, .(sex, dx, dg_age = age, time_days, stat = status,
                          agegr = icss_group(age),
                          dxgroup = if ("dxgroup" %in% names(d)) dxgroup else "")]
  Lexis(entry = list(fot = 0, per = per_of(dx), age = dg_age),
        exit = list(fot = time_days / 365.25), exit.status = stat, entry.status = 0L, data = d)
}
pophaz_of <- function(lt) data.table(sex = lt$sex, per = per_of(jan1(lt$year)), age = lt$age,
                                     haz = lt$haz)
sibr_lex <- suppressMessages(lexis_of(sibr_d))
sibr_ph <- pophaz_of(popmort_d)
fot_breaks <- list(yearly = 0:10, monthly = (0:120) / 12)
per_all <- per_of(jan1(1993:2014))
per_window <- per_of(jan1(2008:2013))

survtab_rows <- function(case, st, est, group = "") {
  st <- as.data.table(st)
  out <- data.table(case, group = if (length(group) == 1) group else st[[group[2]]],
                    time = st$Tstop, n_at_risk = NA_real_,
                    estimate = st[[est]], se = st[[paste0("SE.", est)]],
                    lower = st[[paste0(est, ".lo")]], upper = st[[paste0(est, ".hi")]])
  obs <- if (endsWith(est, ".as")) "surv.obs.as" else "surv.obs"
  if (obs %in% names(st)) {
    out[, `:=`(observed = st[[obs]], observed_se = st[[paste0("SE.", obs)]],
               observed_lower = st[[paste0(obs, ".lo")]],
               observed_upper = st[[paste0(obs, ".hi")]])]
  }
  out
}
st <- list()
for (b in names(fot_breaks)) {
  for (ct in c("log", "log-log", "plain")) {
    if (b == "monthly" && ct != "log") next
    fit <- survtab(Surv(fot, lex.Xst) ~ 1, data = sibr_lex, surv.type = "surv.rel",
                   relsurv.method = "e2", pophaz = sibr_ph, conf.type = ct,
                   breaks = list(fot = fot_breaks[[b]], per = per_all, age = 0:150))
    st[[length(st) + 1]] <- survtab_rows(paste("sibr ederer2", b, ct), fit, "r.e2")
  }
}
fit <- survtab(Surv(fot, lex.Xst) ~ dxgroup, data = sibr_lex, surv.type = "surv.rel",
               relsurv.method = "e2", pophaz = sibr_ph, conf.type = "log",
               breaks = list(fot = 0:10, per = per_all, age = 0:150))
st[[length(st) + 1]] <- survtab_rows("sibr-dxgroup ederer2 yearly log", fit, "r.e2",
                                     c("", "dxgroup"))
fit <- survtab(Surv(fot, lex.Xst) ~ 1, data = sibr_lex, surv.type = "surv.rel",
               relsurv.method = "e2", pophaz = sibr_ph, conf.type = "log",
               breaks = list(fot = 0:5, per = per_window, age = 0:150))
st[[length(st) + 1]] <- survtab_rows("sibr-period ederer2 yearly log", fit, "r.e2")
fit <- survtab(Surv(fot, lex.Xst) ~ 1, data = sibr_lex, surv.type = "surv.rel",
               relsurv.method = "e2", pophaz = sibr_ph, conf.type = "log",
               breaks = list(fot = 0:10, per = per_all, age = 0:150),
               adjust = agegr, weights = list(agegr = ICSS$`icss-2`))
st[[length(st) + 1]] <- survtab_rows("sibr-icss-2 ederer2 yearly log", fit, "r.e2.as")
# popEpi's own Pohar Perme (its interval weights differ from oncoreg's default ones; the cases
# that net_survival(pp_weights = "popepi") reproduces are in survival_reference_popepi_pp.R)
fit <- survtab(Surv(fot, lex.Xst) ~ 1, data = sibr_lex, surv.type = "surv.rel",
               relsurv.method = "pp", pophaz = sibr_ph, conf.type = "log",
               breaks = list(fot = 0:10, per = per_all, age = 0:150))
st[[length(st) + 1]] <- survtab_rows("sibr popepi-pp yearly log", fit, "r.pp")

# Pohar Perme with oncoreg's weights, computed independently here: w = 1 / S_p(t) from
# diagnosis, integrated exactly over each single-cell row; aggregated per fot interval and
# handed to popEpi's survtab_ag (hazard method), which computes estimate, SE and CI.
pp_aggregates <- function(lex, lt, fot_br, window = NULL, by = NULL) {
  x <- as.data.table(splitMulti(lex, breaks = list(fot = fot_br, per = per_all, age = 0:150)))
  years <- sort(unique(lt$year))
  x[, year := years[findInterval(per + lex.dur / 2, per_of(jan1(years)))]]
  x[, a := pmin(floor(age + lex.dur / 2), max(lt$age))]
  x <- merge(x, lt[, .(sex, a = age, year, haz)], by = c("sex", "a", "year"), all.x = TRUE)
  stopifnot(!anyNA(x$haz))
  setkeyv(x, c("lex.id", "fot"))
  x[, h0 := cumsum(haz * lex.dur) - haz * lex.dur, by = lex.id]
  x[, dead := as.integer(lex.Xst == 1)]
  if (!is.null(window)) x <- x[per >= window[1] - 1e-9 & per < window[2] - 1e-9]
  x[, fot_start := fot_br[findInterval(fot + 1e-9, fot_br)]]
  grow <- expm1(x$haz * x$lex.dur)
  x[, `:=`(pyrs.pp = exp(h0) * ifelse(haz > 0, grow / haz, lex.dur), d.exp.pp = exp(h0) * grow,
           d.pp = dead * exp(h0 + haz * lex.dur), d.pp.2 = dead * exp(2 * (h0 + haz * lex.dur)))]
  x[, .(d = sum(dead), pyrs = sum(lex.dur), d.exp = sum(haz * lex.dur), d.pp = sum(d.pp),
        d.pp.2 = sum(d.pp.2), pyrs.pp = sum(pyrs.pp), d.exp.pp = sum(d.exp.pp)),
    keyby = c(by, "fot_start")]
}
pp_survtab <- function(agg, fot_br, ct, rhs = "1", ...) {
  survtab_ag(as.formula(paste("fot_start ~", rhs)), data = agg, surv.breaks = fot_br,
             d = "d", pyrs = "pyrs", d.exp = "d.exp", d.pp = "d.pp", d.pp.2 = "d.pp.2",
             pyrs.pp = "pyrs.pp", d.exp.pp = "d.exp.pp", surv.type = "surv.rel",
             relsurv.method = "pp", surv.method = "hazard", conf.type = ct, ...)
}
agg <- pp_aggregates(sibr_lex, popmort_d, 0:10)
for (ct in c("log", "log-log", "plain")) {
  st[[length(st) + 1]] <- survtab_rows(paste("sibr pohar-perme yearly", ct),
                                       pp_survtab(agg, 0:10, ct), "r.pp")
}
agg <- pp_aggregates(sibr_lex, popmort_d, (0:120) / 12)
st[[length(st) + 1]] <- survtab_rows("sibr pohar-perme monthly log",
                                     pp_survtab(agg, (0:120) / 12, "log"), "r.pp")
agg <- pp_aggregates(sibr_lex, popmort_d, 0:10, by = "dxgroup")
st[[length(st) + 1]] <- survtab_rows("sibr-dxgroup pohar-perme yearly log",
                                     pp_survtab(agg, 0:10, "log", "dxgroup"), "r.pp",
                                     c("", "dxgroup"))
agg <- pp_aggregates(sibr_lex, popmort_d, 0:5, window = range(per_window))
st[[length(st) + 1]] <- survtab_rows("sibr-period pohar-perme yearly log",
                                     pp_survtab(agg, 0:5, "log"), "r.pp")
agg <- pp_aggregates(sibr_lex, popmort_d, 0:10, by = "agegr")
st[[length(st) + 1]] <- survtab_rows("sibr-icss-2 pohar-perme yearly log",
                                     pp_survtab(agg, 0:10, "log", adjust = "agegr",
                                                weights = list(agegr = ICSS$`icss-2`)),
                                     "r.pp.as")
# the synthetic cohort with slopop: both methods, yearly, by stage
synth_lex <- suppressMessages(lexis_of(synth_d[, dxgroup := stage]))
synth_ph <- pophaz_of(slopop_d)
fit <- survtab(Surv(fot, lex.Xst) ~ dxgroup, data = synth_lex, surv.type = "surv.rel",
               relsurv.method = "e2", pophaz = synth_ph, conf.type = "log",
               breaks = list(fot = 0:10, per = per_all, age = 0:150))
st[[length(st) + 1]] <- survtab_rows("synth-stage ederer2 yearly log", fit, "r.e2",
                                     c("", "dxgroup"))
agg <- pp_aggregates(synth_lex, slopop_d, 0:10, by = "dxgroup")
st[[length(st) + 1]] <- survtab_rows("synth-stage pohar-perme yearly log",
                                     pp_survtab(agg, 0:10, "log", "dxgroup"), "r.pp",
                                     c("", "dxgroup"))
write_csv(rbindlist(st, fill = TRUE), "survival_expected_survtab.csv")
