"""SYNTHETIC school data in the official download formats, for tests and scale runs. NOT real data.

Writes KS2 `ks2final` and KS4 `ks4final` CSVs (one per LA per year, named like the DfE downloads, UTF-8 with
BOM and CRLF, '71%' strings, SUPP/NE/NP/LOWCOV/NA codes, truncated NEW rows, LA and England rows) and a
GIAS-style register, so the real readers load them unchanged. Column names are the official ones (the
2018/19 downloads); only names are taken from the real files, never values. The `_YY` prior-year columns
are renamed for each file's year and hold that school's own earlier values.

Every school, town and LA is invented: LAs are "Synthshire NN" with codes 501-799 that DfE does not use
(702, British Forces overseas, is skipped); URNs start at 700001; postcodes use the area letter Q, which
no UK postcode starts with; coordinates are British National Grid metres inside an England-sized box.
Years without school-level results are never written: KS2 2020-2022, KS4 2020-2021, and anything before
2016 (the current measures start in 2015/16). Prior-year columns for those years are left out too.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

KS2_COLUMNS = (
    "RECTYPE,ALPHAIND,LEA,ESTAB,URN,SCHNAME,ADDRESS1,ADDRESS2,ADDRESS3,TOWN,PCODE,TELNUM,PCON_CODE,"
    "PCON_NAME,URN_AC,SCHNAME_AC,OPEN_AC,NFTYPE,ICLOSE,RELDENOM,AGERANGE,CONFEXAM,TAB15,TAB1618,"
    "TOTPUPS,TPUPYEAR,TELIG,BELIG,GELIG,PBELIG,PGELIG,TKS1AVERAGE,TKS1GROUP_L,PTKS1GROUP_L,TKS1GROUP_M,"
    "PTKS1GROUP_M,TKS1GROUP_H,PTKS1GROUP_H,TKS1GROUP_NA,PTKS1GROUP_NA,TFSM6CLA1A,PTFSM6CLA1A,"
    "TNotFSM6CLA1A,PTNotFSM6CLA1A,TEALGRP2,PTEALGRP2,TMOBN,PTMOBN,PTRWM_EXP,PTRWM_HIGH,READPROG,"
    "READPROG_LOWER,READPROG_UPPER,READCOV,WRITPROG,WRITPROG_LOWER,WRITPROG_UPPER,WRITCOV,MATPROG,"
    "MATPROG_LOWER,MATPROG_UPPER,MATCOV,PTREAD_EXP,PTREAD_HIGH,PTREAD_AT,READ_AVERAGE,PTGPS_EXP,"
    "PTGPS_HIGH,PTGPS_AT,GPS_AVERAGE,PTMAT_EXP,PTMAT_HIGH,PTMAT_AT,MAT_AVERAGE,PTWRITTA_EXP,"
    "PTWRITTA_HIGH,PTWRITTA_WTS,PTWRITTA_AD,PTSCITA_EXP,PTSCITA_AD,PTRWM_EXP_B,PTRWM_EXP_G,PTRWM_EXP_L,"
    "PTRWM_EXP_M,PTRWM_EXP_H,PTRWM_EXP_FSM6CLA1A,PTRWM_EXP_NotFSM6CLA1A,DIFFN_RWM_EXP,PTRWM_EXP_EAL,"
    "PTRWM_EXP_MOBN,PTRWM_HIGH_B,PTRWM_HIGH_G,PTRWM_HIGH_L,PTRWM_HIGH_M,PTRWM_HIGH_H,"
    "PTRWM_HIGH_FSM6CLA1A,PTRWM_HIGH_NotFSM6CLA1A,DIFFN_RWM_HIGH,PTRWM_HIGH_EAL,PTRWM_HIGH_MOBN,"
    "READPROG_B,READPROG_B_LOWER,READPROG_B_UPPER,READPROG_G,READPROG_G_LOWER,READPROG_G_UPPER,"
    "READPROG_L,READPROG_L_LOWER,READPROG_L_UPPER,READPROG_M,READPROG_M_LOWER,READPROG_M_UPPER,"
    "READPROG_H,READPROG_H_LOWER,READPROG_H_UPPER,READPROG_FSM6CLA1A,READPROG_FSM6CLA1A_LOWER,"
    "READPROG_FSM6CLA1A_UPPER,READPROG_NotFSM6CLA1A,READPROG_NotFSM6CLA1A_LOWER,"
    "READPROG_NotFSM6CLA1A_UPPER,DIFFN_READPROG,READPROG_EAL,READPROG_EAL_LOWER,READPROG_EAL_UPPER,"
    "READPROG_MOBN,READPROG_MOBN_LOWER,READPROG_MOBN_UPPER,WRITPROG_B,WRITPROG_B_LOWER,"
    "WRITPROG_B_UPPER,WRITPROG_G,WRITPROG_G_LOWER,WRITPROG_G_UPPER,WRITPROG_L,WRITPROG_L_LOWER,"
    "WRITPROG_L_UPPER,WRITPROG_M,WRITPROG_M_LOWER,WRITPROG_M_UPPER,WRITPROG_H,WRITPROG_H_LOWER,"
    "WRITPROG_H_UPPER,WRITPROG_FSM6CLA1A,WRITPROG_FSM6CLA1A_LOWER,WRITPROG_FSM6CLA1A_UPPER,"
    "WRITPROG_NotFSM6CLA1A,WRITPROG_NotFSM6CLA1A_LOWER,WRITPROG_NotFSM6CLA1A_UPPER,DIFFN_WRITPROG,"
    "WRITPROG_EAL,WRITPROG_EAL_LOWER,WRITPROG_EAL_UPPER,WRITPROG_MOBN,WRITPROG_MOBN_LOWER,"
    "WRITPROG_MOBN_UPPER,MATPROG_B,MATPROG_B_LOWER,MATPROG_B_UPPER,MATPROG_G,MATPROG_G_LOWER,"
    "MATPROG_G_UPPER,MATPROG_L,MATPROG_L_LOWER,MATPROG_L_UPPER,MATPROG_M,MATPROG_M_LOWER,"
    "MATPROG_M_UPPER,MATPROG_H,MATPROG_H_LOWER,MATPROG_H_UPPER,MATPROG_FSM6CLA1A,"
    "MATPROG_FSM6CLA1A_LOWER,MATPROG_FSM6CLA1A_UPPER,MATPROG_NotFSM6CLA1A,MATPROG_NotFSM6CLA1A_LOWER,"
    "MATPROG_NotFSM6CLA1A_UPPER,DIFFN_MATPROG,MATPROG_EAL,MATPROG_EAL_LOWER,MATPROG_EAL_UPPER,"
    "MATPROG_MOBN,MATPROG_MOBN_LOWER,MATPROG_MOBN_UPPER,READ_AVERAGE_B,READ_AVERAGE_G,READ_AVERAGE_L,"
    "READ_AVERAGE_M,READ_AVERAGE_H,READ_AVERAGE_FSM6CLA1A,READ_AVERAGE_NotFSM6CLA1A,READ_AVERAGE_EAL,"
    "READ_AVERAGE_MOBN,MAT_AVERAGE_B,MAT_AVERAGE_G,MAT_AVERAGE_L,MAT_AVERAGE_M,MAT_AVERAGE_H,"
    "MAT_AVERAGE_FSM6CLA1A,MAT_AVERAGE_NotFSM6CLA1A,MAT_AVERAGE_EAL,MAT_AVERAGE_MOBN,GPS_AVERAGE_B,"
    "GPS_AVERAGE_G,GPS_AVERAGE_L,GPS_AVERAGE_M,GPS_AVERAGE_H,GPS_AVERAGE_FSM6CLA1A,"
    "GPS_AVERAGE_NotFSM6CLA1A,GPS_AVERAGE_EAL,GPS_AVERAGE_MOBN,PTREAD_EXP_L,PTREAD_EXP_M,PTREAD_EXP_H,"
    "PTREAD_EXP_FSM6CLA1A,PTREAD_EXP_NotFSM6CLA1A,PTGPS_EXP_L,PTGPS_EXP_M,PTGPS_EXP_H,"
    "PTGPS_EXP_FSM6CLA1A,PTGPS_EXP_NotFSM6CLA1A,PTMAT_EXP_L,PTMAT_EXP_M,PTMAT_EXP_H,"
    "PTMAT_EXP_FSM6CLA1A,PTMAT_EXP_NotFSM6CLA1A,PTWRITTA_EXP_L,PTWRITTA_EXP_M,PTWRITTA_EXP_H,"
    "PTWRITTA_EXP_FSM6CLA1A,PTWRITTA_EXP_NotFSM6CLA1A,PTREAD_HIGH_L,PTREAD_HIGH_M,PTREAD_HIGH_H,"
    "PTREAD_HIGH_FSM6CLA1A,PTREAD_HIGH_NotFSM6CLA1A,PTGPS_HIGH_L,PTGPS_HIGH_M,PTGPS_HIGH_H,"
    "PTGPS_HIGH_FSM6CLA1A,PTGPS_HIGH_NotFSM6CLA1A,PTMAT_HIGH_L,PTMAT_HIGH_M,PTMAT_HIGH_H,"
    "PTMAT_HIGH_FSM6CLA1A,PTMAT_HIGH_NotFSM6CLA1A,PTWRITTA_HIGH_L,PTWRITTA_HIGH_M,PTWRITTA_HIGH_H,"
    "PTWRITTA_HIGH_FSM6CLA1A,PTWRITTA_HIGH_NotFSM6CLA1A,TEALGRP1,PTEALGRP1,TEALGRP3,PTEALGRP3,TSENELE,"
    "PSENELE,TSENELK,PSENELK,TSENELEK,PSENELEK,TELIG_18,PTFSM6CLA1A_18,PTNOTFSM6CLA1A_18,PTRWM_EXP_18,"
    "PTRWM_HIGH_18,PTRWM_EXP_FSM6CLA1A_18,PTRWM_HIGH_FSM6CLA1A_18,PTRWM_EXP_NotFSM6CLA1A_18,"
    "PTRWM_HIGH_NotFSM6CLA1A_18,READPROG_18,READPROG_LOWER_18,READPROG_UPPER_18,WRITPROG_18,"
    "WRITPROG_LOWER_18,WRITPROG_UPPER_18,MATPROG_18,MATPROG_LOWER_18,MATPROG_UPPER_18,READ_AVERAGE_18,"
    "MAT_AVERAGE_18,TELIG_17,PTFSM6CLA1A_17,PTNOTFSM6CLA1A_17,PTRWM_EXP_17,PTRWM_HIGH_17,"
    "PTRWM_EXP_FSM6CLA1A_17,PTRWM_HIGH_FSM6CLA1A_17,PTRWM_EXP_NotFSM6CLA1A_17,"
    "PTRWM_HIGH_NotFSM6CLA1A_17,READPROG_17,READPROG_LOWER_17,READPROG_UPPER_17,WRITPROG_17,"
    "WRITPROG_LOWER_17,WRITPROG_UPPER_17,MATPROG_17,MATPROG_LOWER_17,MATPROG_UPPER_17,READ_AVERAGE_17,"
    "MAT_AVERAGE_17,TELIG_3YR,PTRWM_EXP_3YR,PTRWM_HIGH_3YR,READ_AVERAGE_3YR,MAT_AVERAGE_3YR,"
    "READPROG_UNADJUSTED,WRITPROG_UNADJUSTED,MATPROG_UNADJUSTED,READPROG_DESCR_17,WRITPROG_DESCR_17,"
    "MATPROG_DESCR_17,READPROG_DESCR_18,WRITPROG_DESCR_18,MATPROG_DESCR_18,READPROG_DESCR,"
    "WRITPROG_DESCR,MATPROG_DESCR"
).split(",")

KS4_COLUMNS = (
    "RECTYPE,LEA,ESTAB,URN,SCHNAME,SCHNAME_AC,ADDRESS1,ADDRESS2,ADDRESS3,TOWN,PCODE,TELNUM,PCON_CODE,"
    "PCON_NAME,CONTFLAG,ICLOSE,NFTYPE,RELDENOM,ADMPOL,ADMPOL_PT,EGENDER,FEEDER,TABKS2,TAB1618,AGERANGE,"
    "CONFEXAM,TOTPUPS,NUMBOYS,NUMGIRLS,TPUP,BPUP,PBPUP,GPUP,PGPUP,KS2APS,TPRIORLO,PTPRIORLO,TPRIORAV,"
    "PTPRIORAV,TPRIORHI,PTPRIORHI,TFSM6CLA1A,PTFSM6CLA1A,TNOTFSM6CLA1A,PTNOTFSM6CLA1A,TEALGRP2,"
    "PTEALGRP2,TEALGRP1,PTEALGRP1,TEALGRP3,PTEALGRP3,TNMOB,PTNMOB,SENSE4,PSENSE4,SENAPK4,PSENAPK4,"
    "SEN_ALL,PSEN_ALL,TOTATT8,ATT8SCR,TOTATT8ENG,ATT8SCRENG,TOTATT8MAT,ATT8SCRMAT,TOTATT8EBAC,"
    "ATT8SCREBAC,TOTATT8OPEN,ATT8SCROPEN,TOTATT8OPENG,ATT8SCROPENG,TOTATT8OPENNG,ATT8SCROPENNG,"
    "AVGEBACFILL,AVGOPENFILL,P8PUP,TP8ADJ,P8MEACOV,P8MEA,P8CILOW,P8CIUPP,P8MEA_ORIG,P8CILOW_ORIG,"
    "P8CIUPP_ORIG,P8MEAENG,P8MEAENG_CILOW,P8MEAENG_CIUPP,P8MEAMAT,P8MEAMAT_CILOW,P8MEAMAT_CIUPP,"
    "P8MEAEBAC,P8MEAEBAC_CILOW,P8MEAEBAC_CIUPP,P8MEAOPEN,P8MEAOPEN_CILOW,P8MEAOPEN_CIUPP,PTL2BASICS_94,"
    "PTL2BASICS_95,TOTEBACCAPS,EBACCAPS,EBACCAPS_FSM6CLA1A,EBACCAPS_NFSM6CLA1A,EBACCAPS_LO,EBACCAPS_AV,"
    "EBACCAPS_HI,EBACCAPS_EAL,EBACCAPS_GIRLS,EBACCAPS_BOYS,EBACCAPS_NMOB,EBACCAPS_18,"
    "EBACCAPS_FSM6CLA1A_18,EBACCAPS_NFSM6CLA1A_18,TEBACC_E_PTQ_EE,PTEBACC_E_PTQ_EE,PTEBACC_94,"
    "PTEBACC_95,TEBACENG_E_PTQ_EE,PTEBACENG_E_PTQ_EE,TEBACMAT_E_PTQ_EE,PTEBACMAT_E_PTQ_EE,"
    "TEBAC2SCI_E_PTQ_EE,PTEBAC2SCI_E_PTQ_EE,TEBACHUM_E_PTQ_EE,PTEBACHUM_E_PTQ_EE,TEBACLAN_E_PTQ_EE,"
    "PTEBACLAN_E_PTQ_EE,PTEBACENG_94,PTEBACENG_95,PTEBACMAT_94,PTEBACMAT_95,PTEBAC2SCI_94,"
    "PTEBAC2SCI_95,PTEBACHUM_94,PTEBACHUM_95,PTEBACLAN_94,PTEBACLAN_95,SCIVACOV_PTQ_EE,HUMVACOV_PTQ_EE,"
    "LANVACOV_PTQ_EE,SCIVAMEA_PTQ_EE,SCIVALOW_PTQ_EE,SCIVAUPP_PTQ_EE,HUMVAMEA_PTQ_EE,HUMVALOW_PTQ_EE,"
    "HUMVAUPP_PTQ_EE,LANVAMEA_PTQ_EE,LANVALOW_PTQ_EE,LANVAUPP_PTQ_EE,TEBACENG_94,TEBACENG_95,"
    "TEBACMAT_94,TEBACMAT_95,TEBAC2SCI_94,TEBAC2SCI_95,TEBACHUM_94,TEBACHUM_95,TEBACLAN_94,TEBACLAN_95,"
    "TEBACC91,PTEBACC91,TEBACENG91,PTEBACENG91,TEBACMAT91,PTEBACMAT91,TEBAC2SCI91,PTEBAC2SCI91,"
    "TEBACHUM91,PTEBACHUM91,TEBACLAN91,PTEBACLAN91,ATT8SCR_FSM6CLA1A,P8PUP_FSM6CLA1A,TP8ADJ_FSM6CLA1A,"
    "P8MEA_FSM6CLA1A,P8CILOW_FSM6CLA1A,P8CIUPP_FSM6CLA1A,P8MEA_FSM6CLA1A_ORIG,P8CILOW_FSM6CLA1A_ORIG,"
    "P8CIUPP_FSM6CLA1A_ORIG,ATT8SCR_NFSM6CLA1A,P8PUP_NFSM6CLA1A,TP8ADJ_NFSM6CLA1A,P8MEA_NFSM6CLA1A,"
    "P8CILOW_NFSM6CLA1A,P8CIUPP_NFSM6CLA1A,P8MEA_NFSM6CLA1A_ORIG,P8CILOW_NFSM6CLA1A_ORIG,"
    "P8CIUPP_NFSM6CLA1A_ORIG,ATT8SCRENG_FSM6CLA1A,P8MEAENG_FSM6CLA1A,P8MEAENG_CILOW_FSM6CLA1A,"
    "P8MEAENG_CIUPP_FSM6CLA1A,ATT8SCRMAT_FSM6CLA1A,P8MEAMAT_FSM6CLA1A,P8MEAMAT_CILOW_FSM6CLA1A,"
    "P8MEAMAT_CIUPP_FSM6CLA1A,ATT8SCREBAC_FSM6CLA1A,P8MEAEBAC_FSM6CLA1A,P8MEAEBAC_CILOW_FSM6CLA1A,"
    "P8MEAEBAC_CIUPP_FSM6CLA1A,ATT8SCROPEN_FSM6CLA1A,P8MEAOPEN_FSM6CLA1A,P8MEAOPEN_CILOW_FSM6CLA1A,"
    "P8MEAOPEN_CIUPP_FSM6CLA1A,ATT8SCRENG_NFSM6CLA1A,P8MEAENG_NFSM6CLA1A,P8MEAENG_CILOW_NFSM6CLA1A,"
    "P8MEAENG_CIUPP_NFSM6CLA1A,ATT8SCRMAT_NFSM6CLA1A,P8MEAMAT_NFSM6CLA1A,P8MEAMAT_CILOW_NFSM6CLA1A,"
    "P8MEAMAT_CIUPP_NFSM6CLA1A,ATT8SCREBAC_NFSM6CLA1A,P8MEAEBAC_NFSM6CLA1A,P8MEAEBAC_CILOW_NFSM6CLA1A,"
    "P8MEAEBAC_CIUPP_NFSM6CLA1A,ATT8SCROPEN_NFSM6CLA1A,P8MEAOPEN_NFSM6CLA1A,P8MEAOPEN_CILOW_NFSM6CLA1A,"
    "P8MEAOPEN_CIUPP_NFSM6CLA1A,ATT8SCROPENG_FSM6CLA1A,ATT8SCROPENNG_FSM6CLA1A,ATT8SCROPENG_NFSM6CLA1A,"
    "ATT8SCROPENNG_NFSM6CLA1A,DIFFN_ATT8,DIFFN_P8MEA,ATT8SCR_LO,P8PUP_LO,TP8ADJ_LO,P8MEA_LO,P8CILOW_LO,"
    "P8CIUPP_LO,P8MEA_LO_ORIG,P8CILOW_LO_ORIG,P8CIUPP_LO_ORIG,ATT8SCR_AV,P8PUP_AV,TP8ADJ_AV,P8MEA_AV,"
    "P8CILOW_AV,P8CIUPP_AV,P8MEA_AV_ORIG,P8CILOW_AV_ORIG,P8CIUPP_AV_ORIG,ATT8SCR_HI,P8PUP_HI,TP8ADJ_HI,"
    "P8MEA_HI,P8CILOW_HI,P8CIUPP_HI,P8MEA_HI_ORIG,P8CILOW_HI_ORIG,P8CIUPP_HI_ORIG,ATT8SCR_EAL,"
    "ATT8SCRENG_EAL,ATT8SCRMAT_EAL,ATT8SCREBAC_EAL,ATT8SCROPEN_EAL,ATT8SCROPENG_EAL,ATT8SCROPENNG_EAL,"
    "P8PUP_EAL,TP8ADJ_EAL,P8MEA_EAL,P8CILOW_EAL,P8CIUPP_EAL,P8MEA_EAL_ORIG,P8CILOW_EAL_ORIG,"
    "P8CIUPP_EAL_ORIG,ATT8SCR_GIRLS,ATT8SCRENG_GIRLS,ATT8SCRMAT_GIRLS,ATT8SCREBAC_GIRLS,"
    "ATT8SCROPEN_GIRLS,ATT8SCROPENG_GIRLS,ATT8SCROPENNG_GIRLS,P8PUP_GIRLS,TP8ADJ_GIRLS,P8MEA_GIRLS,"
    "P8CILOW_GIRLS,P8CIUPP_GIRLS,P8MEA_GIRLS_ORIG,P8CILOW_GIRLS_ORIG,P8CIUPP_GIRLS_ORIG,ATT8SCR_BOYS,"
    "ATT8SCRENG_BOYS,ATT8SCRMAT_BOYS,ATT8SCREBAC_BOYS,ATT8SCROPEN_BOYS,ATT8SCROPENG_BOYS,"
    "ATT8SCROPENNG_BOYS,P8PUP_BOYS,TP8ADJ_BOYS,P8MEA_BOYS,P8CILOW_BOYS,P8CIUPP_BOYS,P8MEA_BOYS_ORIG,"
    "P8CILOW_BOYS_ORIG,P8CIUPP_BOYS_ORIG,ATT8SCR_NMOB,ATT8SCRENG_NMOB,ATT8SCRMAT_NMOB,ATT8SCREBAC_NMOB,"
    "ATT8SCROPEN_NMOB,ATT8SCROPENG_NMOB,ATT8SCROPENNG_NMOB,P8PUP_NMOB,TP8ADJ_NMOB,P8MEA_NMOB,"
    "P8CILOW_NMOB,P8CIUPP_NMOB,P8MEA_NMOB_ORIG,P8CILOW_NMOB_ORIG,P8CIUPP_NMOB_ORIG,ATT8SCR_17,P8PUP_17,"
    "P8MEA_17,P8CILOW_17,P8CIUPP_17,ATT8SCR_FSM6CLA1A_17,P8PUP_FSM6CLA1A_17,P8MEA_FSM6CLA1A_17,"
    "P8CILOW_FSM6CLA1A_17,P8CIUPP_FSM6CLA1A_17,ATT8SCR_NFSM6CLA1A_17,P8PUP_NFSM6CLA1A_17,"
    "P8MEA_NFSM6CLA1A_17,P8CILOW_NFSM6CLA1A_17,P8CIUPP_NFSM6CLA1A_17,ATT8SCR_18,P8PUP_18,P8MEA_18,"
    "P8CILOW_18,P8CIUPP_18,ATT8SCR_FSM6CLA1A_18,P8PUP_FSM6CLA1A_18,P8MEA_FSM6CLA1A_18,"
    "P8CILOW_FSM6CLA1A_18,P8CIUPP_FSM6CLA1A_18,ATT8SCR_NFSM6CLA1A_18,P8PUP_NFSM6CLA1A_18,"
    "P8MEA_NFSM6CLA1A_18,P8CILOW_NFSM6CLA1A_18,P8CIUPP_NFSM6CLA1A_18,TEBACC_ELO_PTQ_EE,"
    "PTEBACC_ELO_PTQ_EE,PTEBACCLO_94,PTEBACCLO_95,TEBACC_EAV_PTQ_EE,PTEBACC_EAV_PTQ_EE,PTEBACCAV_94,"
    "PTEBACCAV_95,TEBACC_EHI_PTQ_EE,PTEBACC_EHI_PTQ_EE,PTEBACCHI_94,PTEBACCHI_95,"
    "PTEBACC_EFSM6CLA1A_PTQ_EE,PTEBACC_ENFSM6CLA1A_PTQ_EE,PTEBACC_94_FSM6CLA1A,PTEBACC_95_FSM6CLA1A,"
    "PTEBACC_94_NFSM6CLA1A,PTEBACC_95_NFSM6CLA1A,SCIVAMEA_LO_PTQ_EE,SCIVAMEA_AV_PTQ_EE,"
    "SCIVAMEA_HI_PTQ_EE,SCIVAMEA_FSM6CLA1A_PTQ_EE,SCIVAMEA_NFSM6CLA1A_PTQ_EE,HUMVAMEA_LO_PTQ_EE,"
    "HUMVAMEA_AV_PTQ_EE,HUMVAMEA_HI_PTQ_EE,HUMVAMEA_FSM6CLA1A_PTQ_EE,HUMVAMEA_NFSM6CLA1A_PTQ_EE,"
    "LANVAMEA_LO_PTQ_EE,LANVAMEA_AV_PTQ_EE,LANVAMEA_HI_PTQ_EE,LANVAMEA_FSM6CLA1A_PTQ_EE,"
    "LANVAMEA_NFSM6CLA1A_PTQ_EE,SCIVAUPP_FSM6CLA1A_PTQ_EE,SCIVALOW_FSM6CLA1A_PTQ_EE,"
    "SCIVAUPP_NFSM6CLA1A_PTQ_EE,SCIVALOW_NFSM6CLA1A_PTQ_EE,SCIVAUPP_LO_PTQ_EE,SCIVALOW_LO_PTQ_EE,"
    "SCIVAUPP_AV_PTQ_EE,SCIVALOW_AV_PTQ_EE,SCIVAUPP_HI_PTQ_EE,SCIVALOW_HI_PTQ_EE,"
    "HUMVAUPP_FSM6CLA1A_PTQ_EE,HUMVALOW_FSM6CLA1A_PTQ_EE,HUMVAUPP_NFSM6CLA1A_PTQ_EE,"
    "HUMVALOW_NFSM6CLA1A_PTQ_EE,HUMVAUPP_LO_PTQ_EE,HUMVALOW_LO_PTQ_EE,HUMVAUPP_AV_PTQ_EE,"
    "HUMVALOW_AV_PTQ_EE,HUMVAUPP_HI_PTQ_EE,HUMVALOW_HI_PTQ_EE,LANVAUPP_FSM6CLA1A_PTQ_EE,"
    "LANVALOW_FSM6CLA1A_PTQ_EE,LANVAUPP_NFSM6CLA1A_PTQ_EE,LANVALOW_NFSM6CLA1A_PTQ_EE,"
    "LANVAUPP_LO_PTQ_EE,LANVALOW_LO_PTQ_EE,LANVAUPP_AV_PTQ_EE,LANVALOW_AV_PTQ_EE,LANVAUPP_HI_PTQ_EE,"
    "LANVALOW_HI_PTQ_EE,PTEBACC_E_17_PTQ_EE,PTEBACC_94_17,PTEBACC_95_17,PTEBACC_E_18_PTQ_EE,"
    "PTEBACC_94_18,PTEBACC_95_18,PBEBACC_E_PTQ_EE,PBEBACC_94,PBEBACC_95,PGEBACC_E_PTQ_EE,PGEBACC_94,"
    "PGEBACC_95,PTEBACC_ENMOB_PTQ_EE,PTEBACCNMOB_94,PTEBACCNMOB_95,PTEBACC_EEAL_PTQ_EE,PTEBACCEAL_94,"
    "PTEBACCEAL_95,PTEBACC_EFSM6CLA1A_17,PTEBACC_94_FSM6CLA1A_17,PTEBACC_95_FSM6CLA1A_17,"
    "PTEBACC_ENFSM6CLA1A_17,PTEBACC_94_NFSM6CLA1A_17,PTEBACC_95_NFSM6CLA1A_17,PTEBACC_EFSM6CLA1A_18,"
    "PTEBACC_94_FSM6CLA1A_18,PTEBACC_95_FSM6CLA1A_18,PTEBACC_ENFSM6CLA1A_18,PTEBACC_94_NFSM6CLA1A_18,"
    "PTEBACC_95_NFSM6CLA1A_18,PT5EM_94,PT5EM_94_17,PT5EM_94_18,PTANYQ_PTQ_EE,PTL2BASICS_94_17,"
    "PTL2BASICS_95_17,PTL2BASICS_94_18,PTL2BASICS_95_18,PTFSM6CLA1ABASICS_94,PTNOTFSM6CLA1ABASICS_94,"
    "TBASICSLO_94,PTBASICSLO_94,TBASICSAV_94,PTBASICSAV_94,TBASICSHI_94,PTBASICSHI_94,PBL2BASICS_94,"
    "PGL2BASICS_94,PTL2BASICSEAL_94,PTL2BASICSNMOB_94,PTFSM6CLA1ABASICS_95,PTNOTFSM6CLA1ABASICS_95,"
    "TBASICSLO_95,PTBASICSLO_95,TBASICSAV_95,PTBASICSAV_95,TBASICSHI_95,PTBASICSHI_95,PBL2BASICS_95,"
    "PGL2BASICS_95,PTL2BASICSEAL_95,PTL2BASICSNMOB_95,PTFSM6CLA1ABASICS_94_17,PTFSM6CLA1ABASICS_95_17,"
    "PTNOTFSMBASICS_94_17,PTNOTFSM6CLA1ABASICS_95_17,PTFSM6CLA1ABASICS_94_18,PTFSM6CLA1ABASICS_95_18,"
    "PTNOTFSM6CLA1ABASICS_94_18,PTNOTFSM6CLA1ABASICS_95_18,PTmultiLan_E,PTtripleSci_E,TFSM6CLA1A_17,"
    "PTFSM6CLA1A_17,TNOTFSM6CLA1A_17,PTNOTFSM6CLA1A_17,TFSM6CLA1A_18,PTFSM6CLA1A_18,TNOTFSM6CLA1A_18,"
    "PTNOTFSM6CLA1A_18,TAVENT_E_3NG_PTQ_EE,TAVENT_E_3NG_LO_PTQ_EE,TAVENT_E_3NG_AV_PTQ_EE,"
    "TAVENT_E_3NG_HI_PTQ_EE,TAVENT_E_3NG_FSM6CLA1A_PTQ_EE,TAVENT_E_3NG_NFSM6CLA1A_PTQ_EE,"
    "TAVENT_EFSM6CLA1A_17_PTQ_EE,TAVENT_ENFSM6CLA1A_17_PTQ_EE,TAVENT_EFSM6CLA1A_18_PTQ_EE,"
    "TAVENT_ENFSM6CLA1A_18_PTQ_EE,TAVENT_G_PTQ_EE,TAVENT_GLO_PTQ_EE,TAVENT_GAV_PTQ_EE,"
    "TAVENT_GHI_PTQ_EE,TAVENT_GFSM6CLA1A_PTQ_EE,TAVENT_GNFSM6CLA1A_PTQ_EE,TAVENT_GFSM6CLA1A_17_PTQ_EE,"
    "TAVENT_GNFSM6CLA1A_17_PTQ_EE,TAVENT_GFSM6CLA1A_18_PTQ_EE,TAVENT_GNFSM6CLA1A_18_PTQ_EE,P8_BANDING"
).split(",")

GIAS_COLUMNS = (
    "URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (name),"
    "EstablishmentTypeGroup (name),EstablishmentStatus (name),ReasonEstablishmentOpened (name),"
    "OpenDate,ReasonEstablishmentClosed (name),CloseDate,PhaseOfEducation (name),StatutoryLowAge,"
    "StatutoryHighAge,Boarders (name),NurseryProvision (name),OfficialSixthForm (name),Gender (name),"
    "ReligiousCharacter (name),ReligiousEthos (name),Diocese (name),AdmissionsPolicy (name),"
    "SchoolCapacity,SpecialClasses (name),CensusDate,NumberOfPupils,NumberOfBoys,NumberOfGirls,"
    "PercentageFSM,TrustSchoolFlag (name),Trusts (name),SchoolSponsorFlag (name),SchoolSponsors (name),"
    "FederationFlag (name),Federations (name),UKPRN,FEHEIdentifier,FurtherEducationType (name),"
    "OfstedLastInsp,LastChangedDate,Street,Locality,Address3,Town,County (name),Postcode,SchoolWebsite,"
    "TelephoneNum,HeadTitle (name),HeadFirstName,HeadLastName,HeadPreferredJobTitle,"
    "BSOInspectorateName (name),InspectorateReport,DateOfLastInspectionVisit,NextInspectionVisit,"
    "TeenMoth (name),TeenMothPlaces,CCF (name),SENPRU (name),EBD (name),PlacesPRU,FTProv (name),"
    "EdByOther (name),Section41Approved (name),SEN1 (name),SEN2 (name),SEN3 (name),SEN4 (name),"
    "SEN5 (name),SEN6 (name),SEN7 (name),SEN8 (name),SEN9 (name),SEN10 (name),SEN11 (name),"
    "SEN12 (name),SEN13 (name),TypeOfResourcedProvision (name),ResourcedProvisionOnRoll,"
    "ResourcedProvisionCapacity,SenUnitOnRoll,SenUnitCapacity,GOR (name),DistrictAdministrative (name),"
    "AdministrativeWard (name),ParliamentaryConstituency (name),UrbanRural (name),GSSLACode (name),"
    "Easting,Northing,MSOA (name),LSOA (name),InspectorateName (name),SENStat,SENNoStat,PropsName,"
    "OfstedRating (name),RSCRegion (name),Country (name),UPRN,SiteName,QABName (name),"
    "EstablishmentAccredited (name),QABReport,CHNumber,MSOA (code),LSOA (code),FSM,"
    "Linked establishments"
).split(",")

# Full GIAS extracts (edubasealldata) carry the district code beside its name.
GIAS_COLUMNS.insert(GIAS_COLUMNS.index("DistrictAdministrative (name)"), "DistrictAdministrative (code)")

DEFAULT_YEARS = (2016, 2017, 2018, 2019, 2023, 2024)
FIRST_YEAR = 2016  # the expected-standard (KS2) and Attainment 8 / Progress 8 (KS4) era starts in 2015/16
NO_SCHOOL_RESULTS = {"ks2": frozenset({2020, 2021, 2022}), "ks4": frozenset({2020, 2021})}
LA_CODES = tuple(c for c in range(601, 800) if c != 702) + tuple(range(501, 600))  # none is a DfE LA code
BOX_E, BOX_N = (150_000.0, 650_000.0), (30_000.0, 650_000.0)  # British National Grid, England-sized
URN_BASE = 700_000
SECONDARY_SHARE = 0.175  # 3,500 of 20,000 English schools are secondaries
SUPPRESS_AT = 5  # a group of this many pupils or fewer is SUPP

# England figures by year, roughly DfE's published ones: (disadvantaged, other pupils). Other years use the
# nearest listed year.
_NATIONAL = {
    "rwm_exp": {2016: (39, 60), 2017: (48, 67), 2018: (51, 70), 2019: (51, 71), 2022: (43, 66), 2023: (44, 66),
                2024: (46, 67)},
    "rwm_high": {2016: (2, 6), 2017: (4, 11), 2018: (5, 12), 2019: (5, 13), 2022: (3, 9), 2023: (3, 10),
                 2024: (4, 10)},
    "att8": {2016: (41.2, 53.5), 2017: (37.0, 49.8), 2018: (36.8, 50.1), 2019: (36.7, 50.3), 2022: (37.6, 52.6),
             2023: (35.0, 50.3), 2024: (34.6, 50.0)},
    "p8": {2016: (-0.38, 0.10), 2017: (-0.40, 0.11), 2018: (-0.44, 0.13), 2019: (-0.45, 0.13), 2022: (-0.55, 0.15),
           2023: (-0.57, 0.17), 2024: (-0.57, 0.16)},
    "em94": {2016: (43, 70), 2017: (44, 71), 2018: (45, 72), 2019: (45, 72), 2022: (49, 75), 2023: (43, 73),
             2024: (43, 72)},
    "em95": {2016: (24, 48), 2017: (25, 50), 2018: (25, 50), 2019: (25, 50), 2022: (30, 57), 2023: (25, 52),
             2024: (25, 52)},
}

_PREFIXES = ("Ash Bex Bram Cal Chil Dun Elm Fen Gold Hart Kings Lang Mar Nor Oak Pen Red Sand Thorn Wex Wil "
             "Ather Brent Cran Dor Fox Glen Hol Lyd Mel Nether Ox Pilt Quen Ros Stan Tad Ul Ver Wam Yar").split()
_SUFFIXES = ("ford ham ton by wick field bury ley combe minster stead worth thorpe mouth well cote den hurst "
             "ing stow").split()
_WORDS = ("Alder Beech Birch Bramble Cedar Chestnut Clover Elder Fern Hazel Heather Holly Juniper Larch Linden "
          "Maple Meadow Orchard Poplar Rowan Willow Brook Hill Vale Park Green Lane Bridge Castle Abbey Priory "
          "Riverside Hillside Woodside Fieldgate Millbrook Stonebridge Highfield Lowfield Fairmead").split()
_INWARD = "ABDEFGHJLNPQRSTUWXYZ"
_TYPE_NAMES = {"CY": "Community school", "VC": "Voluntary controlled school", "VA": "Voluntary aided school",
               "AC": "Academy converter", "ACC": "Academy sponsor led", "FD": "Foundation school",
               "F": "Free schools", "CYS": "Community special school", "ACS": "Academy special converter",
               "ACCS": "Academy special sponsor led", "IND": "Other independent school"}
_TYPE_GROUPS = {"CY": "Local authority maintained schools", "VC": "Local authority maintained schools",
                "VA": "Local authority maintained schools", "FD": "Local authority maintained schools",
                "AC": "Academies", "ACC": "Academies", "F": "Free Schools", "CYS": "Special schools",
                "ACS": "Special schools", "ACCS": "Special schools", "IND": "Independent schools"}


def published(ks: str, year: int) -> bool:
    """Whether DfE published school-level results for this key stage and year (year = year the summer ends)."""
    return FIRST_YEAR <= year < 2090 and year not in NO_SCHOOL_RESULTS[ks]


def _national(measure: str, year: int) -> tuple[float, float]:
    table = _NATIONAL[measure]
    return table[min(table, key=lambda y: (abs(y - year), -y))]


def _logit(p):
    return np.log(p / (1 - p))


def _expit(x):
    return 1 / (1 + np.exp(-x))


# ------------------------------------------------------------------------------------------------------------
# The register: LAs, towns and schools
# ------------------------------------------------------------------------------------------------------------

def default_las(schools: int) -> int:
    """About 150 LAs at England scale (20,000 schools), fewer for small runs."""
    return int(max(1, min(150, round(schools / 133))))


def _register(rng: np.random.Generator, n: int, n_las: int, opening: Sequence[int]) -> tuple[pd.DataFrame,
                                                                                          pd.DataFrame]:
    """Invented LAs, towns and schools, with the latent traits that drive their results."""
    k = np.arange(n_las)
    ncol = max(1, round(math.sqrt(n_las * (BOX_E[1] - BOX_E[0]) / (BOX_N[1] - BOX_N[0]))))
    nrow = math.ceil(n_las / ncol)
    cw, ch = (BOX_E[1] - BOX_E[0]) / ncol, (BOX_N[1] - BOX_N[0]) / nrow
    la_x = BOX_E[0] + (k % ncol + 0.5 + rng.uniform(-0.15, 0.15, n_las)) * cw
    la_y = BOX_N[0] + (k // ncol + 0.5 + rng.uniform(-0.15, 0.15, n_las)) * ch
    la_w = rng.lognormal(0, 0.5, n_las)
    la_dep, la_qual, la_gap = rng.normal(0, 0.2, n_las), rng.normal(0, 0.12, n_las), rng.normal(0, 0.1, n_las)
    la_codes = np.array(LA_CODES[:n_las])
    la_names = np.array([f"Synthshire {i + 1:02d}" for i in k], dtype=object)
    la_of = np.concatenate([k, rng.choice(n_las, n - n_las, p=la_w / la_w.sum())])
    rng.shuffle(la_of)

    # Towns: about one per 12 schools, sized unevenly so schools cluster.
    per_la = np.bincount(la_of, minlength=n_las)
    n_towns = np.maximum(1, np.rint(per_la / 12).astype(int))
    combos = [p + s for p in _PREFIXES for s in _SUFFIXES]
    town_names, town_la, town_district = [], [], []
    town_x, town_y, town_w, town_r = [], [], [], []
    school_town = np.empty(n, dtype=int)
    for i in k:
        m = int(n_towns[i])
        picks = rng.choice(len(combos), size=min(m, len(combos)), replace=False)
        names = [combos[p] for p in picks] + [f"{combos[p]} {j}" for j, p in
                                               enumerate(rng.choice(len(combos), m - len(picks)), start=2)]
        x = la_x[i] + rng.uniform(-0.4, 0.4, m) * cw
        y = la_y[i] + rng.uniform(-0.4, 0.4, m) * ch
        w = rng.lognormal(0, 1, m)
        n_d = min(4, max(1, m // 4))
        sector = (((np.arctan2(y - la_y[i], x - la_x[i]) + np.pi) / (2 * np.pi)) * n_d).astype(int) % n_d
        base = len(town_names)
        members = np.flatnonzero(la_of == i)
        school_town[members] = base + rng.choice(m, size=len(members), p=w / w.sum())
        town_names += names
        town_la += [i] * m
        town_district += sector.tolist()
        town_x += x.tolist()
        town_y += y.tolist()
        town_w += w.tolist()
        town_r += (1000 + 1500 * np.minimum(w, 4)).tolist()
    town_x, town_y, town_r = np.array(town_x), np.array(town_y), np.array(town_r)
    town_la, town_district = np.array(town_la), np.array(town_district)
    town_dep = rng.normal(0, 0.27, len(town_names)) + 0.15 * np.log(np.array(town_w))

    # Schools: most in a town, some scattered over the LA's countryside.
    rural = rng.random(n) < 0.12
    t = school_town
    east = np.where(rural, la_x[la_of] + rng.uniform(-0.45, 0.45, n) * cw, town_x[t] + rng.normal(0, 1, n) * town_r[t])
    north = np.where(rural, la_y[la_of] + rng.uniform(-0.45, 0.45, n) * ch,
                     town_y[t] + rng.normal(0, 1, n) * town_r[t])
    east, north = np.clip(east, *BOX_E).round(), np.clip(north, *BOX_N).round()

    order = rng.permutation(n)
    n_sec = int(round(SECONDARY_SHARE * n)) if n > 1 else 0
    secondary = np.zeros(n, bool)
    secondary[order[:n_sec]] = True
    special = np.zeros(n, bool)
    prim_idx, sec_idx = np.flatnonzero(~secondary), np.flatnonzero(secondary)
    special[rng.permutation(prim_idx)[: int(round(0.03 * len(prim_idx)))]] = True
    sec_perm = rng.permutation(sec_idx)
    n_sp = int(round(0.08 * len(sec_idx)))
    special[sec_perm[:n_sp]] = True
    independent = np.zeros(n, bool)
    independent[sec_perm[n_sp: n_sp + int(round(0.04 * len(sec_idx)))]] = True

    new = np.zeros(n, bool)  # a few schools open during the period (NEW rows), at least one in runs of 20+
    new[rng.permutation(n)[: max(int(round(0.04 * n)), 1 if n >= 20 else 0)]] = True
    open_year = np.where(new, rng.choice(np.asarray(opening, dtype=int), n), 0)  # opening: years with files
    dep = la_dep[la_of] + town_dep[t]
    share = _logit(np.where(secondary, 0.25, 0.29)) + dep + rng.normal(0, 0.35, n)
    quality = la_qual[la_of] - 0.2 * dep + rng.normal(0, 0.3, n) + np.where(independent, 0.5, 0.0)
    gap = la_gap[la_of] + rng.normal(0, 0.25, n)
    slope = rng.normal(0, 0.05, n)

    junior = ~secondary & ~special & (rng.random(n) < 0.1)
    sixth = secondary & ~special & (rng.random(n) < 0.5)
    size = np.where(secondary, np.clip(rng.lognormal(np.log(170), 0.35, n), 40, 330),
                    np.clip(rng.lognormal(np.log(34), 0.35, n), 5, 120))
    size = np.where(special, rng.uniform(4, 18, n), np.where(independent, rng.lognormal(np.log(60), 0.5, n), size))
    year_groups = np.where(secondary, np.where(sixth, 7, 5), np.where(junior, 4, 7))
    agerange = np.where(secondary, np.where(special, "11-19", np.where(sixth, "11-18", "11-16")),
                        np.where(special, "3-11", np.where(junior, "7-11", "4-11")))

    nftype = np.where(secondary,
                      rng.choice(["AC", "ACC", "CY", "VA", "FD", "F"], n, p=[.45, .25, .1, .08, .05, .07]),
                      rng.choice(["CY", "VC", "VA", "AC", "ACC", "FD", "F"], n, p=[.45, .12, .12, .18, .08, .03, .02]))
    nftype = np.where(new & ~special, rng.choice(["F", "AC"], n), nftype)
    nftype = np.where(special, rng.choice(["CYS", "ACS", "ACCS"], n, p=[.6, .25, .15]), nftype)
    nftype = np.where(independent, "IND", nftype)

    word = rng.choice(_WORDS, n)
    stem = np.where(rng.random(n) < 0.3, np.array(town_names, dtype=object)[t], word)
    p_suffix = np.select([junior, nftype == "VC", nftype == "VA", np.isin(nftype, ["AC", "ACC", "F"])],
                         ["Junior School", "Church of England Primary School", "Catholic Primary School",
                          "Primary Academy"], "Primary School")
    s_suffix = np.where(nftype == "VA", "Catholic High School",
                        rng.choice(["Academy", "High School", "School", "Community College"], n))
    suffix = np.where(secondary, s_suffix, p_suffix)
    suffix = np.where(special, "School", np.where(independent, "College", suffix))
    names = [f"{a} {b}" for a, b in zip(stem, suffix)]

    score = 2 * quality + rng.normal(0, 1, n)
    q = np.quantile(score, [0.02, 0.10, 0.82]) if n > 1 else np.array([-1.0, 0.0, 1.0])
    ofsted = np.select([score < q[0], score < q[1], score < q[2]], ["Inadequate", "Requires improvement", "Good"],
                       "Outstanding").astype(object)
    bad = ofsted == "Inadequate"  # GIAS names the two Inadequate categories
    ofsted[bad] = rng.choice(["Special Measures", "Serious Weaknesses"], int(bad.sum()))
    ofsted[(rng.random(n) < 0.05) | new | independent] = ""

    g = t  # postcodes: an outward code per town (area letter Q is never used in the UK), inward per school
    outward = np.array([f"Q{chr(65 + (x // 99) % 26)}{x % 99 + 1}" for x in range(len(town_names))], dtype=object)
    inward = [f"{d}{_INWARD[a]}{_INWARD[b]}" for d, a, b in
              zip(rng.integers(1, 10, n), rng.integers(0, 20, n), rng.integers(0, 20, n))]
    postcode = [f"{o} {i}" for o, i in zip(outward[g], inward)]

    cat = np.select([special, independent, secondary], [7000, 6000, 4000], 2000)
    df = pd.DataFrame({"la_idx": la_of, "cat": cat, "open_year": open_year, "tiebreak": rng.random(n)})
    estab = df.groupby(["la_idx", "cat"]).cumcount().to_numpy() + cat
    urn = np.empty(n, dtype=np.int64)
    urn[np.lexsort((df["tiebreak"].to_numpy(), open_year))] = URN_BASE + 1 + np.arange(n)
    dist = town_district[t]
    la_name = la_names[la_of]
    n_dist = np.array([min(4, max(1, int(n_towns[i]) // 4)) for i in k])[la_of]
    district_name = np.where(n_dist == 1, la_name, [f"{ln} {['North', 'South', 'East', 'West'][d]}"
                                                    for ln, d in zip(la_name, dist)])
    reg = pd.DataFrame({
        "urn": urn, "la_code": la_codes[la_of], "la_name": la_name, "estab": estab, "name": names,
        "ks": np.where(secondary, "ks4", "ks2"), "special": special, "independent": independent,
        "nftype": nftype, "agerange": agerange, "town": np.array(town_names, dtype=object)[t],
        "postcode": postcode, "easting": east, "northing": north,
        "district_code": [f"E079{i:03d}{d:02d}" for i, d in zip(la_of, dist)], "district_name": district_name,
        "open_year": open_year, "ofsted": ofsted, "size": size, "year_groups": year_groups,
        "share": share, "quality": quality, "gap": gap, "slope": slope,
    }).sort_values("urn", ignore_index=True)
    las = pd.DataFrame({"la_code": la_codes, "la_name": la_names})
    return reg, las


# ------------------------------------------------------------------------------------------------------------
# Results: unrounded numbers per school and year, the columns they fill, and area rows
# ------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Col:
    """One results column: how it is formatted, its pupil weight, and how it is derived if it is."""

    name: str
    kind: str  # n = count, p = percent ('71%'), f0/f1/f2 = number with that many decimals
    weight: str | None = None  # count column: weight for area means; the cell is SUPP when it is <= 5
    tags: str = ""  # np: not published for independent schools; prog: LOWCOV applies; cohort: a group share
    how: str | None = None  # diffn (src minus England's `arg`), lower / upper (95% interval, sigma `arg`)
    src: str | None = None
    arg: str | float | None = None


_SIGMA = {"READ": 4.7, "WRIT": 4.5, "MAT": 4.3}
_AVERAGE = {"READ": (101.5, 105.5), "MAT": (102.0, 105.5), "GPS": (103.0, 107.0)}
_KS2_GROUPS = (("_FSM6CLA1A", "TFSM6CLA1A"), ("_NotFSM6CLA1A", "TNotFSM6CLA1A"))
_KS4_GROUPS = (("_FSM6CLA1A", "TFSM6CLA1A"), ("_NFSM6CLA1A", "TNOTFSM6CLA1A"))


def _ks2_cols(year: int) -> list[_Col]:
    cols = [_Col("TOTPUPS", "n"), _Col("TELIG", "n"), _Col("TFSM6CLA1A", "n"), _Col("TNotFSM6CLA1A", "n"),
            _Col("PTFSM6CLA1A", "p", "TELIG", "cohort"), _Col("PTNotFSM6CLA1A", "p", "TELIG", "cohort")]
    for stem in ("PTRWM_EXP", "PTRWM_HIGH"):
        cols += [_Col(stem, "p", "TELIG")] + [_Col(stem + s, "p", w) for s, w in _KS2_GROUPS]
        cols.append(_Col("DIFFN_" + stem[2:], "f0", "TFSM6CLA1A", how="diffn", src=stem + "_FSM6CLA1A",
                         arg=stem + "_NotFSM6CLA1A"))
    for subj in _AVERAGE:
        cols += [_Col(f"{subj}_AVERAGE", "f0", "TELIG")]
        cols += [_Col(f"{subj}_AVERAGE{s}", "f0", w) for s, w in _KS2_GROUPS]
    if year < 2024:  # no KS1 baseline for the 2024 and 2025 cohorts: progress columns stay empty
        for subj, sigma in _SIGMA.items():
            cols.append(_Col(f"{subj}COV", "p", "TELIG"))
            for s, w in (("", "TELIG"),) + _KS2_GROUPS:
                c = f"{subj}PROG{s}"
                cols += [_Col(c, "f1", w, "prog"),
                         _Col(c + "_LOWER", "f1", w, "prog", "lower", c, sigma),
                         _Col(c + "_UPPER", "f1", w, "prog", "upper", c, sigma)]
            cols.append(_Col(f"DIFFN_{subj}PROG", "f1", "TFSM6CLA1A", "prog", "diffn", f"{subj}PROG_FSM6CLA1A",
                             f"{subj}PROG_NotFSM6CLA1A"))
    return cols


def _ks4_cols(year: int) -> list[_Col]:
    cols = [_Col("TOTPUPS", "n"), _Col("TPUP", "n"), _Col("TFSM6CLA1A", "n", tags="np"),
            _Col("TNOTFSM6CLA1A", "n", tags="np"), _Col("PTFSM6CLA1A", "p", "TPUP", "np cohort"),
            _Col("PTNOTFSM6CLA1A", "p", "TPUP", "np cohort"), _Col("ATT8SCR", "f1", "TPUP")]
    cols += [_Col("ATT8SCR" + s, "f1", w, "np") for s, w in _KS4_GROUPS]
    cols.append(_Col("DIFFN_ATT8", "f1", "TFSM6CLA1A", "np", "diffn", "ATT8SCR_FSM6CLA1A", "ATT8SCR_NFSM6CLA1A"))
    for g in ("94", "95"):
        cols += [_Col(f"PTL2BASICS_{g}", "p", "TPUP"), _Col(f"PTFSM6CLA1ABASICS_{g}", "p", "TFSM6CLA1A", "np"),
                 _Col(f"PTNOTFSM6CLA1ABASICS_{g}", "p", "TNOTFSM6CLA1A", "np")]
    if year >= 2018:  # EBacc average point score is published from 2017/18
        cols += [_Col("EBACCAPS", "f2", "TPUP")] + [_Col("EBACCAPS" + s, "f2", w, "np") for s, w in _KS4_GROUPS]
    if year < 2025:  # no KS2 baseline for the 2025 and 2026 cohorts: no Progress 8
        cols.append(_Col("P8MEACOV", "p", "TPUP", "np"))
        for s in ("", "_FSM6CLA1A", "_NFSM6CLA1A"):
            w = "P8PUP" + s
            cols += [_Col(w, "n", tags="np"), _Col("P8MEA" + s, "f2", w, "np"),
                     _Col("P8CILOW" + s, "f2", w, "np", "lower", "P8MEA" + s, 1.25),
                     _Col("P8CIUPP" + s, "f2", w, "np", "upper", "P8MEA" + s, 1.25)]
        cols.append(_Col("DIFFN_P8MEA", "f2", "P8PUP_FSM6CLA1A", "np", "diffn", "P8MEA_FSM6CLA1A",
                         "P8MEA_NFSM6CLA1A"))
    return cols


def _pct(c: np.ndarray, n: np.ndarray) -> np.ndarray:
    return np.where(n > 0, 100.0 * c / np.maximum(n, 1), np.nan)


def _mean(parts: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Pupil-weighted mean of (value, pupils) pairs, ignoring groups without pupils."""
    num = sum(np.where(n > 0, np.nan_to_num(v) * n, 0.0) for v, n in parts)
    den = sum(np.where(np.isfinite(v), n, 0) for v, n in parts)
    return np.where(den > 0, num / np.maximum(den, 1), np.nan)


def _sim_ks2(rng: np.random.Generator, reg: pd.DataFrame, year: int) -> dict[str, np.ndarray]:
    """One year of KS2 results for every primary (including ones not open yet; `_state` says which)."""
    n = len(reg)
    a = reg["quality"].to_numpy()
    g = reg["gap"].to_numpy() + reg["slope"].to_numpy() * (year - 2019)
    telig = np.maximum(1, np.rint(reg["size"].to_numpy() * rng.lognormal(0, 0.1, n))).astype(int)
    nd = rng.binomial(telig, _expit(reg["share"].to_numpy() + rng.normal(0, 0.2, n)))
    no = telig - nd
    ed, eo = _national("rwm_exp", year)
    cd = rng.binomial(nd, _expit(_logit(ed / 100) + a + g + rng.normal(0, 0.2, n)))
    co = rng.binomial(no, _expit(_logit(eo / 100) + a + rng.normal(0, 0.2, n)))
    hd, ho = _national("rwm_high", year)
    chd = rng.binomial(cd, np.clip(hd / ed * np.exp(0.6 * a + 0.3 * g), 0, 1))
    cho = rng.binomial(co, np.clip(ho / eo * np.exp(0.6 * a), 0, 1))
    t: dict[str, np.ndarray] = {
        "TOTPUPS": np.rint(telig * reg["year_groups"].to_numpy() * rng.uniform(0.95, 1.05, n)),
        "TELIG": telig, "TFSM6CLA1A": nd, "TNotFSM6CLA1A": no,
        "PTFSM6CLA1A": _pct(nd, telig), "PTNotFSM6CLA1A": _pct(no, telig),
        "PTRWM_EXP": _pct(cd + co, telig), "PTRWM_EXP_FSM6CLA1A": _pct(cd, nd), "PTRWM_EXP_NotFSM6CLA1A": _pct(co, no),
        "PTRWM_HIGH": _pct(chd + cho, telig), "PTRWM_HIGH_FSM6CLA1A": _pct(chd, nd),
        "PTRWM_HIGH_NotFSM6CLA1A": _pct(cho, no),
    }
    lowcov = rng.random(n) < 0.01
    for subj, sigma in _SIGMA.items():
        vd = np.where(nd > 0, -0.3 + 5 * a + 4 * g + rng.normal(0, 1, n) * sigma / np.sqrt(np.maximum(nd, 1)), np.nan)
        vo = np.where(no > 0, 0.2 + 5 * a + rng.normal(0, 1, n) * sigma / np.sqrt(np.maximum(no, 1)), np.nan)
        t.update({f"{subj}PROG_FSM6CLA1A": vd, f"{subj}PROG_NotFSM6CLA1A": vo,
                  f"{subj}PROG": _mean([(vd, nd), (vo, no)]),
                  f"{subj}COV": np.where(lowcov, rng.uniform(30, 49, n), rng.uniform(94, 100, n))})
    for subj, (bd, bo) in _AVERAGE.items():
        vd = np.where(nd > 0, bd + 6 * a + 4 * g + rng.normal(0, 1, n) * 6 / np.sqrt(np.maximum(nd, 1)), np.nan)
        vo = np.where(no > 0, bo + 6 * a + rng.normal(0, 1, n) * 6 / np.sqrt(np.maximum(no, 1)), np.nan)
        t.update({f"{subj}_AVERAGE_FSM6CLA1A": vd, f"{subj}_AVERAGE_NotFSM6CLA1A": vo,
                  f"{subj}_AVERAGE": _mean([(vd, nd), (vo, no)])})
    t["_lowcov"] = lowcov
    return t


def _sim_ks4(rng: np.random.Generator, reg: pd.DataFrame, year: int) -> dict[str, np.ndarray]:
    """One year of KS4 results for every secondary (`_np`: independent, `_ne`: no entries this year)."""
    n = len(reg)
    a = reg["quality"].to_numpy()
    g = reg["gap"].to_numpy() + reg["slope"].to_numpy() * (year - 2019)
    tpup = np.maximum(1, np.rint(reg["size"].to_numpy() * rng.lognormal(0, 0.08, n))).astype(int)
    nd = rng.binomial(tpup, _expit(reg["share"].to_numpy() + rng.normal(0, 0.2, n)))
    no = tpup - nd

    def noisy(base, coef, sd, m):
        v = base + coef + rng.normal(0, 1, n) * sd / np.sqrt(np.maximum(m, 1))
        return np.where(m > 0, v, np.nan)

    ad, ao = _national("att8", year)
    a8d, a8o = np.clip(noisy(ad, 8 * a + 5 * g, 13, nd), 0, 90), np.clip(noisy(ao, 8 * a, 13, no), 0, 90)
    pupd, pupo = rng.binomial(nd, 0.96), rng.binomial(no, 0.97)
    p8d, p8o = _national("p8", year)
    p8d, p8o = noisy(p8d, 0.8 * a + 0.5 * g, 1.2, pupd), noisy(p8o, 0.8 * a, 1.2, pupo)
    ebd, ebo = np.clip(noisy(2.9, 0.8 * a + 0.5 * g, 1.5, nd), 0, 9), np.clip(noisy(4.3, 0.8 * a, 1.5, no), 0, 9)
    t: dict[str, np.ndarray] = {
        "TOTPUPS": np.rint(tpup * reg["year_groups"].to_numpy() * rng.uniform(0.95, 1.05, n)), "TPUP": tpup,
        "TFSM6CLA1A": nd, "TNOTFSM6CLA1A": no, "PTFSM6CLA1A": _pct(nd, tpup), "PTNOTFSM6CLA1A": _pct(no, tpup),
        "ATT8SCR_FSM6CLA1A": a8d, "ATT8SCR_NFSM6CLA1A": a8o, "ATT8SCR": _mean([(a8d, nd), (a8o, no)]),
        "P8PUP_FSM6CLA1A": pupd, "P8PUP_NFSM6CLA1A": pupo, "P8PUP": pupd + pupo,
        "P8MEA_FSM6CLA1A": p8d, "P8MEA_NFSM6CLA1A": p8o, "P8MEA": _mean([(p8d, pupd), (p8o, pupo)]),
        "P8MEACOV": rng.uniform(88, 99.5, n),
        "EBACCAPS_FSM6CLA1A": ebd, "EBACCAPS_NFSM6CLA1A": ebo, "EBACCAPS": _mean([(ebd, nd), (ebo, no)]),
    }
    (e4d, e4o), (e5d, e5o) = _national("em94", year), _national("em95", year)
    c4d = rng.binomial(nd, _expit(_logit(e4d / 100) + 1.1 * a + 0.8 * g + rng.normal(0, 0.15, n)))
    c4o = rng.binomial(no, _expit(_logit(e4o / 100) + 1.1 * a + rng.normal(0, 0.15, n)))
    c5d = rng.binomial(c4d, np.clip(e5d / e4d * np.exp(0.3 * a), 0, 1))
    c5o = rng.binomial(c4o, np.clip(e5o / e4o * np.exp(0.3 * a), 0, 1))
    t.update({"PTL2BASICS_94": _pct(c4d + c4o, tpup), "PTFSM6CLA1ABASICS_94": _pct(c4d, nd),
              "PTNOTFSM6CLA1ABASICS_94": _pct(c4o, no), "PTL2BASICS_95": _pct(c5d + c5o, tpup),
              "PTFSM6CLA1ABASICS_95": _pct(c5d, nd), "PTNOTFSM6CLA1ABASICS_95": _pct(c5o, no)})
    indep = reg["independent"].to_numpy()
    ne = reg["special"].to_numpy() & (rng.random(n) < 0.15)
    for k in list(t):
        if k not in ("TOTPUPS", "TPUP", "TFSM6CLA1A", "TNOTFSM6CLA1A", "PTFSM6CLA1A", "PTNOTFSM6CLA1A") \
                and not k.startswith("P8PUP"):
            t[k] = np.where(ne, np.nan, t[k])
        if k not in ("TOTPUPS", "TPUP", "ATT8SCR", "PTL2BASICS_94", "PTL2BASICS_95", "EBACCAPS"):
            t[k] = np.where(indep, np.nan, t[k])
    t["_np"], t["_ne"] = indep, ne
    return t


def _aggregate(t: dict[str, np.ndarray], cols: list[_Col], group: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Area rows: counts summed, everything else pupil-weighted over the schools in each group (-1 = none)."""
    keep = group >= 0
    gi = group[keep]
    out: dict[str, np.ndarray] = {}
    for c in cols:
        if c.how:
            continue
        v = np.asarray(t[c.name], float)[keep]
        if c.weight is None:
            out[c.name] = np.bincount(gi, np.nan_to_num(v), minlength=k)
            continue
        w = np.asarray(t[c.weight], float)[keep]
        ok = np.isfinite(v) & np.isfinite(w) & (w > 0)
        den = np.bincount(gi[ok], w[ok], minlength=k)
        num = np.bincount(gi[ok], (w * v)[ok], minlength=k)
        out[c.name] = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    return out


def _derive(t: dict[str, np.ndarray], cols: list[_Col], england: dict[str, np.ndarray], diffn_here=None) -> None:
    """Fill derived columns: gaps to England's other pupils, and 95% confidence limits."""
    for c in cols:
        if c.how == "diffn":
            t[c.name] = (t[c.src] - england[c.arg][1]) if diffn_here is None else np.full(len(t[c.src]), diffn_here)
        elif c.how in ("lower", "upper"):
            w = np.asarray(t[c.weight], float)
            half = 1.96 * float(c.arg) / np.sqrt(np.where(w > 0, w, np.nan))
            t[c.name] = t[c.src] - half if c.how == "lower" else t[c.src] + half


def _fmt(v: np.ndarray, kind: str) -> np.ndarray:
    """Numbers as DfE writes them: '71%', '-1.9', '0' (no trailing zeros); empty where there is no number."""
    dec = int(kind[1]) if kind[0] == "f" else 0
    v = np.asarray(v, float)
    out = np.full(v.shape, "", dtype=object)
    ok = np.isfinite(v)
    if not ok.any():
        return out
    key = np.floor(v[ok] * 10**dec + 0.5).astype(np.int64)
    uniq, inv = np.unique(key, return_inverse=True)
    if dec == 0:
        strs = [f"{u}%" if kind == "p" else str(u) for u in uniq.tolist()]
    else:
        strs = [f"{u / 10**dec:.{dec}f}".rstrip("0").rstrip(".") for u in uniq.tolist()]
        strs = ["0" if x in ("", "-0") else x for x in strs]
    out[ok] = np.array(strs, dtype=object)[inv]
    return out


def _cells(t: dict[str, np.ndarray], cols: list[_Col], flags: bool) -> dict[str, np.ndarray]:
    """Formatted cells by upper-case column name, with SUPP for groups of 5 or fewer and the row codes."""
    out = {}
    for c in cols:
        s = _fmt(t[c.name], c.kind)
        if c.weight:
            s[np.asarray(t[c.weight], float) <= SUPPRESS_AT] = "SUPP"
        if flags:
            if "_ne" in t and c.kind != "n" and "cohort" not in c.tags:
                s[t["_ne"]] = "NE"
            if "_np" in t and "np" in c.tags:
                s[t["_np"]] = "NP"
            if "_lowcov" in t and "prog" in c.tags:
                s[t["_lowcov"] & (s != "SUPP")] = "LOWCOV"
        out[c.name.upper()] = s
    return out


@dataclass
class KsYear:
    """One key stage and year: unrounded school, LA and England values, and their formatted cells."""

    ks: str
    year: int
    state: np.ndarray  # per school of the phase: 0 not open, 1 new (NEW row), 2 results
    school: dict[str, np.ndarray]
    la: dict[str, np.ndarray]  # one entry per LA (order of Synthetic.las)
    england: dict[str, np.ndarray]  # [all schools, state-funded]
    cells: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # 'school' / 'la' / 'england'


def _ks_year(rng: np.random.Generator, ks: str, reg: pd.DataFrame, la_pos: np.ndarray, n_las: int,
             year: int) -> KsYear:
    t = (_sim_ks2 if ks == "ks2" else _sim_ks4)(rng, reg, year)
    cols = (_ks2_cols if ks == "ks2" else _ks4_cols)(year)
    open_year = reg["open_year"].to_numpy()
    state = np.where(open_year > year, 0, np.where(open_year == year, 1, 2))
    results = state == 2
    indep = reg["independent"].to_numpy()
    state_funded = results & ~indep
    la = _aggregate(t, cols, np.where(state_funded, la_pos, -1), n_las)
    eng_all = _aggregate(t, cols, np.where(results, 0, -1), 1)
    eng_state = _aggregate(t, cols, np.where(state_funded, 0, -1), 1)
    eng = {k: np.concatenate([eng_all[k], eng_state[k]]) for k in eng_state}
    if ks == "ks4":  # DfE's all-schools row gives all-pupil figures only
        for c in cols:
            if "np" in c.tags and c.name in eng:
                eng[c.name][0] = np.nan
    _derive(t, cols, eng)
    _derive(la, cols, eng)
    _derive(eng, cols, eng, diffn_here=0.0 if ks == "ks2" else np.nan)
    y = KsYear(ks, year, state, t, la, eng)
    y.cells = {"school": _cells(t, cols, True), "la": _cells(la, cols, False), "england": _cells(eng, cols, False)}
    if ks == "ks4":
        for c in cols:
            if "np" in c.tags:
                y.cells["england"][c.name.upper()][0] = ""
    return y


# ------------------------------------------------------------------------------------------------------------
# Simulation and files
# ------------------------------------------------------------------------------------------------------------

@dataclass
class Synthetic:
    """Everything `write_synthetic` writes, before it is written: register, LAs and results by key stage/year."""

    register: pd.DataFrame  # one row per school (urn, la_code, ks, latent traits …)
    las: pd.DataFrame  # la_code, la_name
    results: dict[str, dict[int, KsYear]]  # ks -> year -> values (file years and the two before, where published)
    file_years: dict[str, list[int]]  # ks -> years a file is written for
    skipped_years: dict[str, list[int]]  # ks -> requested years with no school-level results

    def table(self, ks: str, year: int) -> pd.DataFrame:
        """Unrounded school values of one year as a DataFrame (urn, la_code, state + the file's columns)."""
        y = self.results[ks][year]
        reg = self.register[self.register["ks"] == ks]
        df = pd.DataFrame({k: v for k, v in y.school.items() if not k.startswith("_")})
        df.insert(0, "state", y.state)
        df.insert(0, "la_code", reg["la_code"].to_numpy())
        df.insert(0, "urn", reg["urn"].to_numpy())
        return df


def simulate(schools: int = 20000, years: Sequence[int] = DEFAULT_YEARS, seed: int = 0,
             las: int | None = None) -> Synthetic:
    """Invent the register and every school's results (unrounded), deterministically for a seed."""
    if schools < 1:
        raise ValueError("schools must be at least 1")
    n_las = default_las(schools) if las is None else int(las)
    if not 1 <= n_las <= min(schools, len(LA_CODES)):
        raise ValueError(f"las must be between 1 and {min(schools, len(LA_CODES))}")
    years = sorted({int(y) for y in years})
    file_years = {ks: [y for y in years if published(ks, y)] for ks in ("ks2", "ks4")}
    skipped = {ks: [y for y in years if not published(ks, y)] for ks in ("ks2", "ks4")}
    written = sorted(set(file_years["ks2"]) | set(file_years["ks4"]))
    rng = np.random.default_rng(seed)
    reg, la_table = _register(rng, schools, n_las, written or [FIRST_YEAR])
    la_index = {c: i for i, c in enumerate(la_table["la_code"])}
    results: dict[str, dict[int, KsYear]] = {}
    for ks in ("ks2", "ks4"):
        need = sorted({p for y in file_years[ks] for p in (y - 2, y - 1, y) if published(ks, p)})
        phase = reg[reg["ks"] == ks]
        la_pos = phase["la_code"].map(la_index).to_numpy()
        results[ks] = {}
        for year in range(need[0], need[-1] + 1) if need else []:
            sub = np.random.default_rng([seed, year, 2 if ks == "ks2" else 4])  # a year's draws do not shift others
            if year in need:
                results[ks][year] = _ks_year(sub, ks, phase, la_pos, n_las, year)
    return Synthetic(reg, la_table, results, file_years, skipped)


_TOKEN = re.compile(r"_(17|18)(?=_|$)")
_ALIASES = {"PTNOTFSMBASICS_94": "PTNOTFSM6CLA1ABASICS_94"}  # DfE's own misspelling of one prior-year column


def header_for(ks: str, year: int) -> list[tuple[str, int | None, str]]:
    """The file's columns for a year: (name, prior year or None, upper-case base name).

    The 2018/19 names with `_18`/`_17` renamed to the file's two previous years; prior-year columns for
    years without school-level results are left out.
    """
    out = []
    for name in KS2_COLUMNS if ks == "ks2" else KS4_COLUMNS:
        m = _TOKEN.search(name)
        if not m:
            out.append((name, None, name.upper()))
            continue
        prior = year - (1 if m.group(1) == "18" else 2)
        if not published(ks, prior):
            continue
        base = (name[: m.start()] + name[m.end():]).upper()
        out.append((name[: m.start()] + f"_{prior % 100:02d}" + name[m.end():], prior, _ALIASES.get(base, base)))
    return out


def _write_csv(path: Path, rows: list[list[str]], bom: bool, quote_all: bool = False) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))


def _write_ks_year(out: Path, sim: Synthetic, ks: str, year: int) -> tuple[int, int]:
    """One file per LA with schools that year. Returns (files, school rows)."""
    cols = header_for(ks, year)
    names = [c[0] for c in cols]
    pos = {c[0].upper(): i for i, c in enumerate(cols)}
    cur = sim.results[ks][year]
    reg = sim.register[sim.register["ks"] == ks].reset_index(drop=True)
    idx = np.flatnonzero(cur.state >= 1)
    idx = idx[np.lexsort((reg["estab"].to_numpy()[idx], reg["la_code"].to_numpy()[idx]))]
    m = np.full((len(idx), len(cols)), "", dtype=object)
    r = reg.iloc[idx]
    ident = {"RECTYPE": np.where(r["special"], "2", "1"), "LEA": r["la_code"].astype(str),
             "ESTAB": r["estab"].astype(str), "URN": r["urn"].astype(str), "SCHNAME": r["name"], "TOWN": r["town"],
             "PCODE": r["postcode"],
             "NFTYPE": r["nftype"], "AGERANGE": r["agerange"], "ICLOSE": "0"}
    for k, v in ident.items():
        m[:, pos[k]] = np.asarray(v, dtype=object) if not isinstance(v, str) else v
    n_las = len(sim.las)
    la_rows = np.full((n_las, len(cols)), "", dtype=object)
    eng_rows = np.full((2, len(cols)), "", dtype=object)
    first_result = pos["TOTPUPS"]
    la_rows[:, :first_result] = " "
    eng_rows[:, :first_result] = " "
    la_rows[:, pos["RECTYPE"]] = "3" if ks == "ks2" else "4"
    la_rows[:, pos["LEA"]] = sim.las["la_code"].astype(str).to_numpy()
    la_rows[:, pos["SCHNAME"]] = sim.las["la_name"].to_numpy()
    eng_rows[:, pos["RECTYPE"]] = ["4", "5"] if ks == "ks2" else ["5", "7"]
    for j, (_name, prior, base) in enumerate(cols):
        src = cur if prior is None else sim.results[ks].get(prior)
        if src is None or base not in src.cells["school"]:
            continue
        vals = src.cells["school"][base][idx]
        if prior is not None:
            vals = np.where(src.state[idx] == 2, vals, "NA")
        m[:, j] = vals
        la_rows[:, j] = src.cells["la"][base]
        eng_rows[:, j] = src.cells["england"][base]
    rows = m.tolist()
    for i in np.flatnonzero(cur.state[idx] == 1):  # new schools: identity fields, then NEW, nothing after
        rows[i] = rows[i][:first_result] + ["NEW"]
    folder = out / f"{ks}_school_level"
    folder.mkdir(parents=True, exist_ok=True)
    las_sorted = r["la_code"].to_numpy()
    starts = np.searchsorted(las_sorted, sim.las["la_code"].to_numpy(), side="left")
    ends = np.searchsorted(las_sorted, sim.las["la_code"].to_numpy(), side="right")
    header = names
    england = eng_rows.tolist()
    files = 0
    for i, code in enumerate(sim.las["la_code"]):
        if ends[i] == starts[i]:
            continue
        body = [header] + rows[starts[i]:ends[i]] + [la_rows[i].tolist()] + england
        _write_csv(folder / f"{year - 1}-{year}_{code}_{ks}final.csv", body, bom=True)
        files += 1
    return files, len(rows)


def _write_gias(out: Path, sim: Synthetic) -> int:
    reg = sim.register
    rng = np.random.default_rng(int(reg["urn"].sum()) % (2**32))
    n = len(reg)
    special, indep = reg["special"].to_numpy(), reg["independent"].to_numpy()
    phase = np.where(special | indep, "Not applicable", np.where(reg["ks"] == "ks4", "Primary", "Primary"))
    phase = np.where(~(special | indep) & (reg["ks"] == "ks4").to_numpy(), "Secondary", phase)
    ages = reg["agerange"].str.split("-", expand=True)
    fsm = np.clip(_expit(reg["share"].to_numpy()) * 75 + rng.normal(0, 2, n), 0, 95).round(1)
    values = {
        "URN": reg["urn"].astype(str), "LA (code)": reg["la_code"].astype(str), "LA (name)": reg["la_name"],
        "EstablishmentNumber": reg["estab"].astype(str), "EstablishmentName": reg["name"],
        "TypeOfEstablishment (name)": reg["nftype"].map(_TYPE_NAMES),
        "EstablishmentTypeGroup (name)": reg["nftype"].map(_TYPE_GROUPS), "EstablishmentStatus (name)": "Open",
        "OpenDate": [f"01-09-{y - 1}" if y else "" for y in reg["open_year"]],
        "PhaseOfEducation (name)": phase, "StatutoryLowAge": ages[0], "StatutoryHighAge": ages[1],
        "Gender (name)": "Mixed",
        "NumberOfPupils": np.rint(reg["size"] * reg["year_groups"]).astype(int).astype(str),
        "PercentageFSM": np.where(indep, "", fsm.astype(str)), "Town": reg["town"], "Postcode": reg["postcode"],
        "DistrictAdministrative (code)": reg["district_code"], "DistrictAdministrative (name)": reg["district_name"],
        "Easting": reg["easting"].astype(int).astype(str), "Northing": reg["northing"].astype(int).astype(str),
        "OfstedRating (name)": reg["ofsted"], "Country (name)": "United Kingdom",
    }
    m = np.full((n, len(GIAS_COLUMNS)), "", dtype=object)
    for k, v in values.items():
        m[:, GIAS_COLUMNS.index(k)] = v if isinstance(v, str) else np.asarray(v, dtype=object)
    folder = out / "schools"
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(folder / "synthetic_gias.csv", [GIAS_COLUMNS] + m.tolist(), bom=False, quote_all=True)
    return n


_README = """# SYNTHETIC DATA — NOT REAL

Every file in this folder was generated by `gapdata.synth` (seed {seed}) for tests and scale runs.
The schools, towns, local authorities, postcodes, pupils and results are **invented**. They are written in
the official DfE download formats (KS2 `ks2final`, KS4 `ks4final`, a GIAS-style register) only so that the
real readers load them unchanged. Do not use them for any statement about real schools.

- {schools} schools in {las} invented LAs ("Synthshire NN", codes 501–799, none a DfE code), URNs from
  {urn0}, postcodes in the unused area letter Q, coordinates in British National Grid metres.
- KS2 files for {ks2}; KS4 files for {ks4}. Years without school-level results are not written
  (KS2 2020–2022, KS4 2020–2021, anything before 2016){skipped}.
- Column names are the official 2018/19 names (prior-year `_YY` columns renamed for each year); the
  values only resemble national patterns (disadvantaged pupils behind others by about 20 points at KS2).
"""


def write_synthetic(out_dir: Path, schools: int = 20000, years: Sequence[int] = DEFAULT_YEARS, seed: int = 0,
                    las: int | None = None) -> dict:
    """Write SYNTHETIC KS2/KS4 performance tables and a GIAS register into `out_dir`, in the official formats.

    Returns a summary: files written, schools, rows per kind, years written and skipped, seconds taken.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sim = simulate(schools, years, seed, las)
    files, rows = 0, {}
    for ks in ("ks2", "ks4"):
        rows[ks] = 0
        for year in sim.file_years[ks]:
            f, r = _write_ks_year(out, sim, ks, year)
            files, rows[ks] = files + f, rows[ks] + r
    rows["gias"] = _write_gias(out, sim)
    skipped = "; skipped as asked: " + ", ".join(f"{ks.upper()} {y}" for ks, ys in sim.skipped_years.items()
                                                  for y in ys) if any(sim.skipped_years.values()) else ""
    (out / "SYNTHETIC.md").write_text(_README.format(
        seed=seed, schools=schools, las=len(sim.las), urn0=URN_BASE + 1,
        ks2=", ".join(map(str, sim.file_years["ks2"])) or "no year",
        ks4=", ".join(map(str, sim.file_years["ks4"])) or "no year", skipped=skipped), encoding="utf-8")
    files += 2
    reg = sim.register
    return {"out_dir": str(out), "files": files, "schools": len(reg),
            "primaries": int((reg["ks"] == "ks2").sum()), "secondaries": int((reg["ks"] == "ks4").sum()),
            "las": len(sim.las), "rows": rows, "years": sim.file_years, "skipped_years": sim.skipped_years,
            "seed": seed, "seconds": round(time.perf_counter() - t0, 2)}


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m gapdata.synth --out DIR [--schools N] [--years Y ...] [--seed S] [--las K]`."""
    p = argparse.ArgumentParser(prog="python -m gapdata.synth", description="Write SYNTHETIC school files in the "
                                "official DfE/GIAS formats (tests and benchmarks; not real data).")
    p.add_argument("--out", required=True, help="folder to write into")
    p.add_argument("--schools", type=int, default=20000)
    p.add_argument("--years", type=int, nargs="+", default=list(DEFAULT_YEARS), help="years ending, e.g. 2019")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--las", type=int, default=None, help="number of LAs (default about schools / 133, max 150)")
    a = p.parse_args(argv)
    print(json.dumps(write_synthetic(Path(a.out), a.schools, a.years, a.seed, a.las), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
